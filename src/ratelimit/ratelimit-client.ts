import { ops, type Op } from "../redis/commands";
import { LuaScript } from "../redis/script";

/** Where the limiter's commands go: the port itself, or a request's batch. */
export interface OpRunner {
  run<T>(op: Op<T>): Promise<T>;
}

/** Scripts seen so far, by the SHA-1 @upstash/ratelimit computed of its original source. Kept per process. */
export type ScriptRegistry = Map<string, LuaScript>;

const UPSTASH_SHEBANG = /^#!lua[^\n]*\n/;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The client object @upstash/ratelimit calls (it only uses `evalsha` and, on NOSCRIPT,
 * `eval`), made from the Redis port so the limiter runs unchanged on all three adapters.
 *
 * Since 2.1.0 its scripts start `#!lua flags=allow-key-locking`, a flag only Upstash knows;
 * stock Redis and ioredis-mock refuse it. We strip that line for every adapter (without it
 * Upstash runs the script atomically like any other; only its per-key locking optimisation
 * is lost) and remember which stripped script each original SHA stands for, so after the
 * first call every check is a single EVALSHA again. Chosen over pinning 2.0.8 to keep the
 * library's current fixes.
 */
export function createRatelimitClient(target: OpRunner, registry: ScriptRegistry) {
  return {
    async evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown> {
      const known = registry.get(sha);
      const stringArgs = args.map(String);
      // Known script: EVALSHA of the stripped one (EVAL if the server forgot it). Unknown:
      // let the library fall back to eval() with the source, which registers it.
      return known ? target.run(ops.script(known, keys, stringArgs)) : target.run(ops.evalsha(sha, keys, stringArgs));
    },
    async eval(source: string, keys: string[], args: unknown[]): Promise<unknown> {
      const script = new LuaScript(source.replace(UPSTASH_SHEBANG, ""));
      registry.set(await sha1Hex(source), script);
      return target.run(ops.script(script, keys, args.map(String)));
    },
  };
}
