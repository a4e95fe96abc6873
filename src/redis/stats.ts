/**
 * @module
 * What the health check, the metrics and the dashboard show of the Redis server itself (latency,
 * keys, memory, eviction policy), read in one round trip.
 */
import { ops } from "./commands";
import type { RedisPort } from "./port";
import { elapsedMs } from "../latency";

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

/**
 * Whether the server may evict keys to make room (a maxmemory and a policy other than
 * noeviction), from INFO memory; null where it does not say. The state Redis must not: an
 * evicted session signs its user out, an evicted rate-limit window gives a fresh budget.
 */
export function evictsKeys(memory: Record<string, string>): boolean | null {
  const policy = memory.maxmemory_policy;
  const max = numberOrNull(memory.maxmemory);
  if (policy === undefined || max === null) return null;
  return max > 0 && policy !== "noeviction";
}

const numberOrNull = (value: string | undefined) =>
  value === undefined || value === "" || !Number.isFinite(Number(value)) ? null : Number(value);

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
    latencyMs: elapsedMs(started),
    keys,
    usedMemoryBytes: numberOrNull(memory.used_memory),
    maxMemoryBytes: numberOrNull(memory.maxmemory),
  };
}
