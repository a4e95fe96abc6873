/**
 * @module
 * The cache and rate-limit counters, shared by all instances in one Redis hash. Counting is in
 * memory; a flush adds the pending counts with one pipeline at most every `flushEveryMs`, off
 * the request's critical path, so metrics cost no round trip per request.
 */
import type { Background } from "../background";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";

const METRIC_FIELDS = ["hits", "misses", "stale", "coalesced", "errors", "rateLimitAllowed", "rateLimitBlocked"] as const;
type MetricField = (typeof METRIC_FIELDS)[number];
type MetricTotals = Record<MetricField, number>;

export interface Metrics {
  count(field: MetricField, by?: number): void;
  /** Sends what was counted since the last flush, if `flushEveryMs` has passed, in the background. */
  flushIfDue(background: Background): void;
  /** Sends pending counts now (one HINCRBY pipeline); on failure they stay pending. */
  flush(): Promise<void>;
  /** Totals across every instance: this instance's pending counts are flushed first. */
  totals(): Promise<MetricTotals>;
}

/**
 * This instance's counters, flushed to the shared hash at most every `flushEveryMs`.
 * @example const metrics = createMetrics({ redis, keys, flushEveryMs: 1000 }); metrics.count("hits");
 */
export function createMetrics(options: { redis: RedisPort; keys: RedisKeys; flushEveryMs: number }): Metrics {
  const { redis, keys, flushEveryMs } = options;
  const pending = new Map<MetricField, number>();
  let lastFlush = 0;

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    lastFlush = Date.now();
    try {
      await redis.pipeline(batch.map(([field, by]) => ops.hincrby(keys.metrics, field, by)));
    } catch (error) {
      for (const [field, by] of batch) pending.set(field, (pending.get(field) ?? 0) + by);
      throw error;
    }
  }

  return {
    count(field, by = 1) {
      pending.set(field, (pending.get(field) ?? 0) + by);
    },
    flushIfDue(background) {
      if (pending.size > 0 && Date.now() - lastFlush >= flushEveryMs) background("metrics flush", flush());
    },
    flush,
    async totals() {
      await flush();
      const stored = await redis.run(ops.hgetall(keys.metrics));
      return Object.fromEntries(METRIC_FIELDS.map((field) => [field, Number(stored[field] ?? 0)])) as MetricTotals;
    },
  };
}
