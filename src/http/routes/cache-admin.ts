import { OpenAPIHono, z } from "@hono/zod-openapi";
import { readConsistencyReports } from "../../catalogue/consistency";
import { flushCache } from "../../cache/flush";
import type { MetricsSample } from "../../cache/metrics-history";
import { readRedisStats } from "../../redis/stats";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";
import { apiRoute } from "./api-route";
import { apiJson, errorResponse, success } from "./schemas";

const MetricsSchema = z
  .object({
    cache: z.object({
      hits: z.number().int().openapi({ description: "Served from a fresh Redis entry" }),
      misses: z.number().int().openapi({ description: "Loaded from the database by the request itself" }),
      stale: z.number().int().openapi({ description: "Served past fresh time while one refresh ran" }),
      coalesced: z.number().int().openapi({ description: "Served by another request's load (in-process or another instance)" }),
      errors: z.number().int().openapi({ description: "Redis failures met by the cache (requests then BYPASS)" }),
      hitRate: z.number().openapi({ description: "(hits + stale + coalesced) / (those + misses); 0 with no lookups" }),
    }),
    rateLimit: z.object({
      allowed: z.number().int(),
      blocked: z.number().int(),
      policies: z.array(
        z.object({
          name: z.enum(["default", "auth", "auth-email"]),
          limit: z.number().int(),
          windowSeconds: z.number().int(),
          failMode: z.enum(["open", "closed"]).openapi({ description: "What the policy does while Redis is down: admit (open) or 503 (closed)" }),
        }),
      ),
    }),
    consistency: z.object({ lastRunAt: z.string().nullable(), lastScore: z.number().nullable() }),
    redis: z.object({
      adapter: z.enum(["upstash", "ioredis", "embedded"]),
      status: z.enum(["up", "down"]),
      latencyMs: z.number().openapi({ description: "Round trip from this instance for these figures" }),
      keys: z.number().int().openapi({ description: "Keys in the Redis database (DBSIZE; everything sharing it)" }),
      usedMemoryBytes: z.number().int().nullable().openapi({ description: "INFO memory used_memory; null where the server does not report it" }),
      maxMemoryBytes: z.number().int().nullable().openapi({ description: "INFO memory maxmemory (0: no limit); null where not reported" }),
    }),
  })
  .openapi("CacheMetrics");

const MetricsSampleSchema = z
  .object({
    at: z.string(),
    hits: z.number().int(),
    misses: z.number().int(),
    stale: z.number().int(),
    coalesced: z.number().int(),
    errors: z.number().int(),
    hitRate: z.number(),
    allowed: z.number().int(),
    blocked: z.number().int(),
    redisKeys: z.number().int().nullable(),
    redisUsedMemoryBytes: z.number().int().nullable(),
    redisLatencyMs: z.number().nullable(),
    consistencyScore: z.number().nullable(),
  })
  .openapi("MetricsSample");

const ReportSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(["cron", "manual"]),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number().int(),
    scanned: z.number().int(),
    consistent: z.number().int(),
    stale: z.number().int().openapi({ description: "Cached version or content differs from the database" }),
    ahead: z.number().int().openapi({ description: "Cached version (entry, tombstone or floor) is higher than the primary database's: a lost write or drift" }),
    orphaned: z.number().int().openapi({ description: "Cached, but the row is gone and no tombstone says so" }),
    corrupt: z.number().int().openapi({ description: "Unreadable cache value" }),
    repaired: z.number().int(),
    score: z.number().openapi({ description: "100 × consistent / scanned (100 when nothing was scanned); below 100 whenever an entry differed from the database" }),
    errors: z.number().int(),
    complete: z.boolean().openapi({ description: "False when the run stopped at its budget; the next run continues where it stopped" }),
    listsChecked: z.number().int().openapi({ description: "Cached list pages compared with a fresh query (counted above too)" }),
  })
  .openapi("ConsistencyReport");

const operations = { access: "admin" as const, tags: ["Cache operations"] };

const reportsRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/api/cache/consistency",
  operationId: "getConsistencyReports",
  summary: "The latest consistency report and the history (newest first, at most 100)",
  description: "Reports of the cron-triggered and manual runs that compare cached products and lists with the database and repair drift.",
  responses: { 200: apiJson(success(z.object({ latest: ReportSchema.nullable(), history: z.array(ReportSchema) })), "Reports"), 503: errorResponse("Redis unavailable") },
});

const runRoute = apiRoute({
  ...operations,
  method: "post",
  path: "/api/cache/consistency/run",
  operationId: "runConsistencyCheck",
  summary: "Run a consistency check now and return its report",
  description: "One run at a time across all instances; the report is stored with the others.",
  responses: { 200: apiJson(success(ReportSchema), "The run's report"), 409: errorResponse("A run is already in progress"), 503: errorResponse("Redis unavailable") },
});

const flushRoute = apiRoute({
  ...operations,
  method: "delete",
  path: "/api/cache",
  operationId: "flushCache",
  summary: "Remove this app's cache entries (sessions, rate limits, metrics and reports stay)",
  description: "Deletes product and list entries under this app's prefix (SCAN, never KEYS); reads refill them from the database.",
  responses: { 200: apiJson(success(z.object({ deleted: z.number().int() })), "Entries removed"), 503: errorResponse("Redis unavailable") },
});

const redisUnavailable = (error: unknown): never => {
  throw new AppError(503, "REDIS_UNAVAILABLE", "Redis is not answering", undefined, error);
};

type MetricsSnapshot = z.infer<typeof MetricsSchema>;

/**
 * The counters of every instance (kept in Redis), the last consistency run and Redis's own
 * figures; kept as a history sample in the background (src/cache/metrics-history.ts).
 */
async function metricsSnapshot(c: Context<AppEnv>): Promise<MetricsSnapshot> {
  const { metrics, metricsHistory, redis, keys, config } = c.get("services");
  const [totals, { latest }, stats] = await Promise.all([metrics.totals(), readConsistencyReports(redis, keys), readRedisStats(redis)]).catch(redisUnavailable);
  const lookups = totals.hits + totals.stale + totals.coalesced + totals.misses;
  const served = totals.hits + totals.stale + totals.coalesced;
  const snapshot: MetricsSnapshot = {
    cache: {
      hits: totals.hits,
      misses: totals.misses,
      stale: totals.stale,
      coalesced: totals.coalesced,
      errors: totals.errors,
      hitRate: lookups === 0 ? 0 : Math.round((served / lookups) * 10_000) / 10_000,
    },
    rateLimit: {
      allowed: totals.rateLimitAllowed,
      blocked: totals.rateLimitBlocked,
      policies: [
        { name: "default", limit: config.RATE_LIMIT_MAX, windowSeconds: config.RATE_LIMIT_WINDOW_S, failMode: config.RATE_LIMIT_FAIL_MODE },
        { name: "auth", limit: config.RATE_LIMIT_AUTH_MAX, windowSeconds: config.RATE_LIMIT_AUTH_WINDOW_S, failMode: config.RATE_LIMIT_AUTH_FAIL_MODE },
        { name: "auth-email", limit: config.RATE_LIMIT_AUTH_EMAIL_MAX, windowSeconds: config.RATE_LIMIT_AUTH_WINDOW_S, failMode: config.RATE_LIMIT_AUTH_FAIL_MODE },
      ],
    },
    consistency: { lastRunAt: latest?.finishedAt ?? null, lastScore: latest?.score ?? null },
    // Answered from Redis just now: it is up (when it is not, this is a 503).
    redis: { adapter: redis.adapter, status: "up", ...stats },
  };
  c.get("background")("metrics history sample", metricsHistory.record(historySample(snapshot)));
  return snapshot;
}

function historySample({ cache, rateLimit, consistency, redis }: MetricsSnapshot): MetricsSample {
  return {
    at: new Date().toISOString(),
    hits: cache.hits,
    misses: cache.misses,
    stale: cache.stale,
    coalesced: cache.coalesced,
    errors: cache.errors,
    hitRate: cache.hitRate,
    allowed: rateLimit.allowed,
    blocked: rateLimit.blocked,
    redisKeys: redis.keys,
    redisUsedMemoryBytes: redis.usedMemoryBytes,
    redisLatencyMs: redis.latencyMs,
    consistencyScore: consistency.lastScore,
  };
}

const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The same figures in Prometheus's text exposition format (counters summed over all instances). */
function prometheusText(snapshot: MetricsSnapshot): string {
  const { cache, rateLimit, consistency, redis } = snapshot;
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: [labels: string, value: number][]) =>
    [`# HELP jollyjet_${name} ${help}`, `# TYPE jollyjet_${name} ${type}`, ...samples.map(([labels, value]) => `jollyjet_${name}${labels} ${value}`)].join("\n");
  const lastRun = consistency.lastRunAt === null ? [] : [["", Date.parse(consistency.lastRunAt) / 1000] as [string, number]];
  return [
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
    metric("consistency_score", "gauge", "Score of the last consistency run (100 x consistent / scanned).", consistency.lastScore === null ? [] : [["", consistency.lastScore]]),
    metric("consistency_last_run_timestamp_seconds", "gauge", "When the last consistency run finished.", lastRun),
    metric("redis_up", "gauge", "1 when Redis answered this scrape.", [[`{adapter="${redis.adapter}"}`, redis.status === "up" ? 1 : 0]]),
    metric("redis_latency_seconds", "gauge", "Round trip to Redis from the scraped instance.", [["", redis.latencyMs / 1000]]),
    metric("redis_keys", "gauge", "Keys in the Redis database (DBSIZE).", [["", redis.keys]]),
    metric("redis_used_memory_bytes", "gauge", "Redis INFO used_memory (absent where the server does not report it).", redis.usedMemoryBytes === null ? [] : [["", redis.usedMemoryBytes]]),
  ].join("\n") + "\n";
}

const historyRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/api/cache/metrics/history",
  operationId: "getMetricsHistory",
  summary: "Samples of /api/cache/metrics over the last hour, oldest first (kept in Redis)",
  description:
    "Every read of /api/cache/metrics or /metrics keeps a sample, at most one per 5 s over all instances, the newest 720 kept: " +
    "the dashboard's charts come from here, so they survive a reload and agree across instances.",
  responses: { 200: apiJson(success(z.object({ samples: z.array(MetricsSampleSchema) })), "Samples"), 503: errorResponse("Redis unavailable") },
});

const prometheusRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/metrics",
  operationId: "getPrometheusMetrics",
  summary: "The metrics of /api/cache/metrics for Prometheus (text exposition format)",
  description: "Scrape it with the admin token as a bearer token. Counters are totals over all instances.",
  responses: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } } },
});

const metricsRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/api/cache/metrics",
  operationId: "getCacheMetrics",
  summary: "Cache and rate-limit counters, summed over all instances (kept in Redis)",
  description: "Hits, misses, stale serves, coalesced loads and errors, the rate limiter's decisions, the last consistency score, and Redis status.",
  responses: { 200: apiJson(success(MetricsSchema), "Totals") },
});

export function cacheAdminRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(metricsRoute, async (c) => c.json({ status: "success" as const, data: await metricsSnapshot(c) }, 200));

  app.openapi(historyRoute, async (c) => c.json({ status: "success" as const, data: { samples: await c.get("services").metricsHistory.read().catch(redisUnavailable) } }, 200));

  app.openapi(prometheusRoute, async (c) => c.text(prometheusText(await metricsSnapshot(c)), 200, { "Content-Type": PROMETHEUS_TYPE }));

  app.openapi(reportsRoute, async (c) => {
    const { redis, keys } = c.get("services");
    return c.json({ status: "success" as const, data: await readConsistencyReports(redis, keys).catch(redisUnavailable) }, 200);
  });

  app.openapi(runRoute, async (c) => {
    const report = await c.get("services").runConsistency("manual").catch((error: unknown) => (error instanceof AppError ? Promise.reject(error) : redisUnavailable(error)));
    return c.json({ status: "success" as const, data: report }, 200);
  });

  app.openapi(flushRoute, async (c) => {
    const { cacheRedis, keys } = c.get("services");
    return c.json({ status: "success" as const, data: { deleted: await flushCache(cacheRedis, keys).catch(redisUnavailable) } }, 200);
  });

  return app;
}
