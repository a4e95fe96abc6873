/**
 * @module
 * Response schemas of the cache operations (metrics, their history, consistency reports): they
 * generate the OpenAPI document. Where a lower layer owns the type (a history sample, a
 * consistency report, a rate-limit policy), the schema `satisfies` it, so neither can change
 * without the other.
 */
import { z } from "@hono/zod-openapi";
import type { MetricsSample } from "../../cache/metrics-history";
import type { ConsistencyReport } from "../../catalogue/consistency";
import { POLICY_NAMES, type RateLimitPolicy } from "../../ratelimit/rate-limiter";

const RateLimitPolicySchema = z.object({
  name: z.enum(POLICY_NAMES),
  limit: z.number().int(),
  windowSeconds: z.number().int(),
  failMode: z.enum(["open", "closed"]).openapi({ description: "What the policy does while Redis is down: admit (open) or 503 (closed)" }),
}) satisfies z.ZodType<RateLimitPolicy>;

export const CacheMetricsSchema = z
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
      policies: z.array(RateLimitPolicySchema),
    }),
    consistency: z.object({ lastRunAt: z.string().nullable(), lastScore: z.number().nullable() }),
    redis: z.object({
      adapter: z.enum(["upstash", "ioredis", "embedded"]),
      status: z.enum(["up", "down"]),
      latencyMs: z.number().openapi({ description: "Round trip from this instance for these figures" }),
      keys: z.number().int().openapi({ description: "Keys in the Redis database (DBSIZE; everything sharing it)" }),
      usedMemoryBytes: z
        .number()
        .int()
        .nullable()
        .openapi({ description: "INFO memory used_memory; null where the server does not report it" }),
      maxMemoryBytes: z.number().int().nullable().openapi({ description: "INFO memory maxmemory (0: no limit); null where not reported" }),
    }),
  })
  .openapi("CacheMetrics");

/** What /api/cache/metrics answers and /metrics renders. */
export type CacheMetrics = z.infer<typeof CacheMetricsSchema>;

export const MetricsSampleSchema = z
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
  .openapi("MetricsSample") satisfies z.ZodType<MetricsSample>;

export const ConsistencyReportSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(["cron", "manual"]),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number().int(),
    scanned: z.number().int(),
    consistent: z.number().int(),
    stale: z.number().int().openapi({ description: "Cached version or content differs from the database" }),
    ahead: z
      .number()
      .int()
      .openapi({ description: "Cached version (entry, tombstone or floor) is higher than the primary database's: a lost write or drift" }),
    orphaned: z.number().int().openapi({ description: "Cached, but the row is gone and no tombstone says so" }),
    corrupt: z.number().int().openapi({ description: "Unreadable cache value" }),
    repaired: z.number().int(),
    score: z.number().openapi({
      description: "100 × consistent / scanned (100 when nothing was scanned); below 100 whenever an entry differed from the database",
    }),
    errors: z.number().int(),
    complete: z.boolean().openapi({ description: "False when the run stopped at its budget; the next run continues where it stopped" }),
    listsChecked: z.number().int().openapi({ description: "Cached list pages compared with a fresh query (counted above too)" }),
  })
  .openapi("ConsistencyReport") satisfies z.ZodType<ConsistencyReport>;
