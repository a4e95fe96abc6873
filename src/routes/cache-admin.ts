import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { requireRole } from "../middleware/require-role";
import { adminSecurity, apiJson, errorResponse, success } from "./schemas";

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

const metricsRoute = createRoute({
  method: "get",
  path: "/api/cache/metrics",
  tags: ["Cache operations"],
  summary: "Cache and rate-limit counters, summed over all instances (kept in Redis)",
  security: adminSecurity,
  middleware: [requireRole("admin")],
  responses: {
    200: apiJson(success(MetricsSchema), "Totals"),
    401: errorResponse("Not signed in"),
    403: errorResponse("Not an admin"),
    429: errorResponse("Rate limited"),
    503: errorResponse("Redis unavailable: the counters live there"),
  },
});

export function cacheAdminRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(metricsRoute, async (c) => {
    const { metrics, redis } = c.var.services;
    const totals = await metrics.totals().catch((error: unknown) => {
      throw new AppError(503, "REDIS_UNAVAILABLE", "Metrics are kept in Redis, which is not answering", undefined, error);
    });
    const lookups = totals.hits + totals.stale + totals.coalesced + totals.misses;
    const served = totals.hits + totals.stale + totals.coalesced;
    return c.json(
      {
        status: "success" as const,
        data: {
          cache: {
            hits: totals.hits,
            misses: totals.misses,
            stale: totals.stale,
            coalesced: totals.coalesced,
            errors: totals.errors,
            hitRate: lookups === 0 ? 0 : Math.round((served / lookups) * 10_000) / 10_000,
          },
          rateLimit: { allowed: totals.rateLimitAllowed, blocked: totals.rateLimitBlocked },
          consistency: { lastRunAt: null, lastScore: null },
          redis: { adapter: redis.adapter, status: "up" as const },
        },
      },
      200,
    );
  });

  return app;
}
