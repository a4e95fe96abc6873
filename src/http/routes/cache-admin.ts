/**
 * @module
 * The admin's cache operations: the metrics (JSON and Prometheus text) and their history, the
 * consistency reports and a run on demand, and the cache flush. Their schemas are
 * ./cache-admin-schemas.ts; the Prometheus text ../prometheus.ts.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { readConsistencyReports } from "../../catalogue/consistency";
import { flushCache } from "../../cache/flush";
import type { MetricsSample } from "../../cache/metrics-history";
import { POLICY_NAMES } from "../../ratelimit/rate-limiter";
import { readRedisStats } from "../../redis/stats";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";
import { PROMETHEUS_TYPE, prometheusText } from "../prometheus";
import { apiRoute } from "./api-route";
import { CacheMetricsSchema, ConsistencyReportSchema, MetricsSampleSchema, type CacheMetrics } from "./cache-admin-schemas";
import { apiJson, errorResponse, success } from "./schemas";

const operations = { access: "admin" as const, tags: ["Cache operations"] };

const reportsRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/api/cache/consistency",
  operationId: "getConsistencyReports",
  summary: "The latest consistency report and the history (newest first, at most 100)",
  description: "Reports of the cron-triggered and manual runs that compare cached products and lists with the database and repair drift.",
  responses: {
    200: apiJson(success(z.object({ latest: ConsistencyReportSchema.nullable(), history: z.array(ConsistencyReportSchema) })), "Reports"),
    503: errorResponse("Redis unavailable"),
  },
});

const runRoute = apiRoute({
  ...operations,
  method: "post",
  path: "/api/cache/consistency/run",
  operationId: "runConsistencyCheck",
  summary: "Run a consistency check now and return its report",
  description: "One run at a time across all instances; the report is stored with the others.",
  responses: {
    200: apiJson(success(ConsistencyReportSchema), "The run's report"),
    409: errorResponse("A run is already in progress"),
    503: errorResponse("Redis unavailable"),
  },
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

/**
 * The counters of every instance (kept in Redis), the last consistency run and Redis's own
 * figures; kept as a history sample in the background (src/cache/metrics-history.ts).
 */
async function metricsSnapshot(c: Context<AppEnv>): Promise<CacheMetrics> {
  const { metrics, metricsHistory, redis, keys, rateLimiter } = c.get("services");
  const [totals, { latest }, stats] = await Promise.all([
    metrics.totals(),
    readConsistencyReports(redis, keys),
    readRedisStats(redis),
  ]).catch(redisUnavailable);
  const lookups = totals.hits + totals.stale + totals.coalesced + totals.misses;
  const served = totals.hits + totals.stale + totals.coalesced;
  const snapshot: CacheMetrics = {
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
      policies: POLICY_NAMES.map((name) => rateLimiter.policies[name]),
    },
    consistency: { lastRunAt: latest?.finishedAt ?? null, lastScore: latest?.score ?? null },
    // Answered from Redis just now: it is up (when it is not, this is a 503).
    redis: { adapter: redis.adapter, status: "up", ...stats },
  };
  c.get("background")("metrics history sample", metricsHistory.record(historySample(snapshot)));
  return snapshot;
}

function historySample({ cache, rateLimit, consistency, redis }: CacheMetrics): MetricsSample {
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

const historyRoute = apiRoute({
  ...operations,
  method: "get",
  path: "/api/cache/metrics/history",
  operationId: "getMetricsHistory",
  summary: "Samples of /api/cache/metrics over the last hour, oldest first (kept in Redis)",
  description:
    "Every read of /api/cache/metrics or /metrics keeps a sample, at most one per 5 s over all instances, the newest 720 kept: " +
    "the dashboard's charts come from here, so they survive a reload and agree across instances.",
  responses: {
    200: apiJson(success(z.object({ samples: z.array(MetricsSampleSchema) })), "Samples"),
    503: errorResponse("Redis unavailable"),
  },
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
  description:
    "Hits, misses, stale serves, coalesced loads and errors, the rate limiter's decisions, the last consistency score, and Redis status.",
  responses: { 200: apiJson(success(CacheMetricsSchema), "Totals") },
});

/** The cache operations' routes, as a router to mount at `/`. */
export function cacheAdminRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(metricsRoute, async (c) => c.json({ status: "success" as const, data: await metricsSnapshot(c) }, 200));

  app.openapi(historyRoute, async (c) =>
    c.json({ status: "success" as const, data: { samples: await c.get("services").metricsHistory.read().catch(redisUnavailable) } }, 200),
  );

  app.openapi(prometheusRoute, async (c) => c.text(prometheusText(await metricsSnapshot(c)), 200, { "Content-Type": PROMETHEUS_TYPE }));

  app.openapi(reportsRoute, async (c) => {
    const { redis, keys } = c.get("services");
    return c.json({ status: "success" as const, data: await readConsistencyReports(redis, keys).catch(redisUnavailable) }, 200);
  });

  app.openapi(runRoute, async (c) => {
    const report = await c
      .get("services")
      .runConsistency("manual")
      .catch((error: unknown) => (error instanceof AppError ? Promise.reject(error) : redisUnavailable(error)));
    return c.json({ status: "success" as const, data: report }, 200);
  });

  app.openapi(flushRoute, async (c) => {
    const { cacheRedis, keys } = c.get("services");
    return c.json({ status: "success" as const, data: { deleted: await flushCache(cacheRedis, keys).catch(redisUnavailable) } }, 200);
  });

  return app;
}
