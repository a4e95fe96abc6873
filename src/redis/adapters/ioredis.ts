import { Redis } from "ioredis";
import { toArgs, type RedisCommand } from "../commands";
import type { RawReply, RedisAdapterName, RedisTransport } from "../port";

/** The slice of the ioredis API used here; ioredis-mock implements it too. */
export interface IoRedisLike {
  pipeline(commands: (string | number)[][]): { exec(): Promise<[Error | null, unknown][] | null> };
  quit(): Promise<unknown>;
}

/** Sends a batch as one ioredis pipeline: one write, one round trip, per-command errors. */
export function ioRedisTransport(client: IoRedisLike, adapter: RedisAdapterName): RedisTransport {
  return {
    adapter,
    async send(commands: readonly RedisCommand[]): Promise<RawReply[]> {
      const results = (await client.pipeline(commands.map(toArgs)).exec()) ?? [];
      return results.map(([error, value]) => (error ? { ok: false, error } : { ok: true, value }));
    },
    async close() {
      await client.quit();
    },
  };
}

/**
 * The Node production adapter (`REDIS_URL`). RESP2 keeps reply shapes identical to the other
 * adapters.
 */
export function createIoRedisTransport(url: string): RedisTransport {
  const client = new Redis(url, {
    protocol: 2,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    // Commands issued while (re)connecting wait at most one reconnect attempt, then fail;
    // the port's timeout bounds the caller either way.
    enableOfflineQueue: true,
    connectTimeout: 2000,
    // Reconnect quickly: the circuit breaker, not the client, decides when requests skip Redis.
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  });
  // Connection errors surface on each command; the event only needs a listener so it is not unhandled.
  client.on("error", () => {});
  return ioRedisTransport(client as unknown as IoRedisLike, "ioredis");
}
