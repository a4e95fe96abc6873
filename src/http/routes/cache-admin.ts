import { OpenAPIHono, z } from "@hono/zod-openapi";
import { readConsistencyReports } from "../../catalogue/consistency";
import { flushCache } from "../../cache/flush";
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
    rateLimit: z.object({ allowed: z.number().int(), blocked: z.number().int() }),
    consistency: z.object({ lastRunAt: z.string().nullable(), lastScore: z.number().nullable() }),
    redis: z.object({ adapter: z.enum(["upstash", "ioredis", "embedded"]), status: z.enum(["up", "down"]) }),
  })
  .openapi("CacheMetrics");

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
    orphaned: z.number().int().openapi({ description: "Cached, but the row is gone and no tombstone says so" }),
    corrupt: z.number().int().openapi({ description: "Unreadable cache value" }),
    repaired: z.number().int(),
    score: z.number().openapi({ description: "100 × consistent / scanned (100 when nothing was scanned)" }),
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

/** The counters of every instance (kept in Redis), with the last consistency run. */
async function metricsSnapshot(c: Context<AppEnv>): Promise<MetricsSnapshot> {
  const { metrics, redis, keys } = c.get("services");
  const [totals, { latest }] = await Promise.all([metrics.totals(), readConsistencyReports(redis, keys)]).catch(redisUnavailable);
  const lookups = totals.hits + totals.stale + totals.coalesced + totals.misses;
  const served = totals.hits + totals.stale + totals.coalesced;
  return {
    cache: {
      hits: totals.hits,
      misses: totals.misses,
      stale: totals.stale,
      coalesced: totals.coalesced,
      errors: totals.errors,
      hitRate: lookups === 0 ? 0 : Math.round((served / lookups) * 10_000) / 10_000,
    },
    rateLimit: { allowed: totals.rateLimitAllowed, blocked: totals.rateLimitBlocked },
    consistency: { lastRunAt: latest?.finishedAt ?? null, lastScore: latest?.score ?? null },
    // Answered from Redis just now: it is up (when it is not, this is a 503).
    redis: { adapter: redis.adapter, status: "up" },
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
  ].join("\n") + "\n";
}

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
    const { redis, keys } = c.get("services");
    return c.json({ status: "success" as const, data: { deleted: await flushCache(redis, keys).catch(redisUnavailable) } }, 200);
  });

  return app;
}
