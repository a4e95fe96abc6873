/**
 * @module
 * The cache metrics in Prometheus's text exposition format (version 0.0.4), as GET /metrics
 * serves them: counters are totals over all instances, gauges this scrape's figures.
 */
import type { CacheMetrics } from "./routes/cache-admin-schemas";

export const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The same figures as /api/cache/metrics, each a jollyjet_* metric with its HELP and TYPE lines. */
export function prometheusText(snapshot: CacheMetrics): string {
  const { cache, rateLimit, consistency, redis } = snapshot;
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: [labels: string, value: number][]) =>
    [
      `# HELP jollyjet_${name} ${help}`,
      `# TYPE jollyjet_${name} ${type}`,
      ...samples.map(([labels, value]) => `jollyjet_${name}${labels} ${value}`),
    ].join("\n");
  const lastRun = consistency.lastRunAt === null ? [] : [["", Date.parse(consistency.lastRunAt) / 1000] as [string, number]];
  return `${[
    metric("cache_lookups_total", "counter", "Cache lookups by outcome.", [
      ['{outcome="hit"}', cache.hits],
      ['{outcome="miss"}', cache.misses],
      ['{outcome="stale"}', cache.stale],
      ['{outcome="coalesced"}', cache.coalesced],
    ]),
    metric("cache_errors_total", "counter", "Redis failures met by the cache (those requests bypassed it).", [["", cache.errors]]),
    metric("cache_hit_ratio", "gauge", "(hits + stale + coalesced) / lookups.", [["", cache.hitRate]]),
    metric("rate_limit_decisions_total", "counter", "Rate-limit checks by decision.", [
      ['{decision="allowed"}', rateLimit.allowed],
      ['{decision="blocked"}', rateLimit.blocked],
    ]),
    metric(
      "consistency_score",
      "gauge",
      "Score of the last consistency run (100 x consistent / scanned).",
      consistency.lastScore === null ? [] : [["", consistency.lastScore]],
    ),
    metric("consistency_last_run_timestamp_seconds", "gauge", "When the last consistency run finished.", lastRun),
    metric("redis_up", "gauge", "1 when Redis answered this scrape.", [[`{adapter="${redis.adapter}"}`, redis.status === "up" ? 1 : 0]]),
    metric("redis_latency_seconds", "gauge", "Round trip to Redis from the scraped instance.", [["", redis.latencyMs / 1000]]),
    metric("redis_keys", "gauge", "Keys in the Redis database (DBSIZE).", [["", redis.keys]]),
    metric(
      "redis_used_memory_bytes",
      "gauge",
      "Redis INFO used_memory (absent where the server does not report it).",
      redis.usedMemoryBytes === null ? [] : [["", redis.usedMemoryBytes]],
    ),
  ].join("\n")}\n`;
}
