import { ops } from "./commands";
import type { RedisPort } from "./port";

/** What an operator wants to see of the Redis server itself. */
export interface RedisStats {
  /** Round trip of the question, as this instance sees it. */
  latencyMs: number;
  /** Keys in the database (shared with whatever else uses it). */
  keys: number;
  /** INFO memory's used_memory and maxmemory (0 = no limit); null where the server does not say (embedded, some hosted Redis). */
  usedMemoryBytes: number | null;
  maxMemoryBytes: number | null;
}

const numberOrNull = (value: string | undefined) => (value === undefined || value === "" || !Number.isFinite(Number(value)) ? null : Number(value));

/** One round trip (PING, DBSIZE, INFO memory, coalesced by the port). @throws when Redis does not answer PING or DBSIZE. */
export async function readRedisStats(redis: RedisPort): Promise<RedisStats> {
  const started = performance.now();
  const [, keys, memory] = await Promise.all([
    redis.run(ops.ping()),
    redis.run(ops.dbsize()),
    // Some hosted Redis refuse INFO: then memory is simply not reported.
    redis.run(ops.info("memory")).catch((): Record<string, string> => ({})),
  ]);
  return {
    latencyMs: Math.round((performance.now() - started) * 100) / 100,
    keys,
    usedMemoryBytes: numberOrNull(memory.used_memory),
    maxMemoryBytes: numberOrNull(memory.maxmemory),
  };
}
