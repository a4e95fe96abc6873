/**
 * @module
 * The Redis client @upstash/ratelimit expects, made from the Redis port.
 */
import { ops } from "../redis/commands";
import type { RedisPort } from "../redis/port";
import { LuaScript } from "../redis/script";
import { sha1Hex } from "../encoding";

const UPSTASH_SHEBANG = /^#!lua[^\n]*\n/;

/**
 * The client object @upstash/ratelimit calls (it only uses `evalsha` and, on NOSCRIPT,
 * `eval`), so the limiter runs unchanged on all three adapters.
 *
 * Since 2.1.0 its scripts start `#!lua flags=allow-key-locking`, a flag only Upstash knows;
 * stock Redis and ioredis-mock refuse it. We strip that line for every adapter (without it
 * Upstash runs the script atomically like any other; only its per-key locking optimisation
 * is lost) and remember which stripped script each original SHA stands for, so after the
 * first call every check is a single EVALSHA again. Chosen over pinning 2.0.8 to keep the
 * library's current fixes.
 */
export function createRatelimitClient(redis: RedisPort) {
  /** Scripts seen so far, by the SHA-1 @upstash/ratelimit computed of their original source. */
  const registry = new Map<string, LuaScript>();
  return {
    async evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown> {
      const known = registry.get(sha);
      const stringArgs = args.map(String);
      // Known script: EVALSHA of the stripped one (EVAL if the server forgot it). Unknown:
      // let the library fall back to eval() with the source, which registers it.
      return known ? redis.run(ops.script(known, keys, stringArgs)) : redis.run(ops.evalsha(sha, keys, stringArgs));
    },
    async eval(source: string, keys: string[], args: unknown[]): Promise<unknown> {
      const script = new LuaScript(source.replace(UPSTASH_SHEBANG, ""));
      registry.set(await sha1Hex(source), script);
      return redis.run(ops.script(script, keys, args.map(String)));
    },
  };
}
