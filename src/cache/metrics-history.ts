/**
 * @module
 * The dashboard's history of the metrics, kept in Redis so that its charts survive a reload
 * and every instance shows the same: at most one sample per interval across all instances,
 * the newest kept. Taking a sample is the metrics route's (src/http/routes/cache-admin.ts).
 */
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { LuaScript } from "../redis/script";

/** One point of the dashboard's charts: the totals at a moment, with Redis's own figures. */
export interface MetricsSample {
  at: string;
  hits: number;
  misses: number;
  stale: number;
  coalesced: number;
  errors: number;
  hitRate: number;
  allowed: number;
  blocked: number;
  redisKeys: number | null;
  redisUsedMemoryBytes: number | null;
  redisLatencyMs: number | null;
  consistencyScore: number | null;
}

/**
 * Appends ARGV[2] to the LIST KEYS[2] (newest first, capped at ARGV[3] items) only when
 * SET KEYS[1] NX PX ARGV[1] succeeds: one sample per interval over all instances, however
 * many dashboards and scrapers ask.
 */
const appendSample = new LuaScript(`
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
  return 1
end
return 0
`);

export interface MetricsHistory {
  /** Keeps `sample` unless another instance kept one less than an interval ago. Resolves true when kept. */
  record(sample: MetricsSample): Promise<boolean>;
  /** The kept samples, oldest first. */
  read(): Promise<MetricsSample[]>;
}

/** The history: at most one sample per `intervalMs`, the newest `capacity` kept (defaults: 5 s, 720 = one hour). */
export function createMetricsHistory(options: {
  redis: RedisPort;
  keys: RedisKeys;
  intervalMs?: number;
  capacity?: number;
}): MetricsHistory {
  const { redis, keys, intervalMs = 5_000, capacity = 720 } = options;
  return {
    async record(sample) {
      const kept = await redis.run(
        ops.script(appendSample, [keys.metricsHistory.gate, keys.metricsHistory.samples], [intervalMs, JSON.stringify(sample), capacity]),
      );
      return kept === 1;
    },
    async read() {
      const items = await redis.run(ops.lrange(keys.metricsHistory.samples, 0, capacity - 1));
      return items
        .flatMap((item) => {
          try {
            return [JSON.parse(item) as MetricsSample];
          } catch {
            return []; // not ours to show
          }
        })
        .reverse();
    },
  };
}
