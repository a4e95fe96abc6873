/**
 * @module
 * In-process store for zero-setup local runs, on ioredis-mock (which executes Lua through
 * fengari). ioredis-mock shares data between instances with the same host:port, so every
 * store gets a host of its own. Its pipelines reject as a whole when one command fails, so
 * a batch runs command by command here — in process there is no round trip to save.
 */
import RedisMock from "ioredis-mock";
import { toArgs, type RedisCommand } from "../commands";
import { refuseAfterDeadline, type RawReply, type RedisTransport } from "../port";

type MockMethod = (...args: (string | number)[]) => Promise<unknown>;

/** The embedded store as a transport (one ioredis-mock instance of its own). */
export function createEmbeddedTransport(): RedisTransport {
  const client = new RedisMock({ host: `embedded-${crypto.randomUUID()}`, lazyConnect: false });
  const call = client as unknown as Record<string, MockMethod>;
  return {
    adapter: "embedded",
    async send(commands: readonly RedisCommand[], deadline: number): Promise<RawReply[]> {
      refuseAfterDeadline(deadline);
      const replies: RawReply[] = [];
      for (const command of commands) {
        if (command.name === "info") {
          // ioredis-mock answers INFO with a fixed sample of some other server: report nothing rather than made-up figures.
          replies.push({ ok: true, value: "" });
          continue;
        }
        const [name, ...args] = toArgs(command);
        try {
          replies.push({ ok: true, value: await call[name]!.apply(client, args) });
        } catch (error) {
          replies.push({ ok: false, error: error instanceof Error ? error : new Error(String(error)) });
        }
      }
      return replies;
    },
    async close() {
      await client.flushall();
      await client.quit();
    },
  };
}
