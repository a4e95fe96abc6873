/**
 * @module
 * GET /health (liveness, and the database's and Redis's status and latency: Redis down is
 * degraded, the database down is 503) and GET /, the index of links. Neither is rate limited.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { pingDatabase } from "../../db/database";
import { RUNTIMES, type AppEnv } from "../env";
import { ops } from "../../redis/commands";
import { evictsKeys } from "../../redis/stats";
import { elapsedMs } from "../../latency";

const dependencyStatus = z.enum(["up", "down"]);

const HealthSchema = z
  .object({
    status: z.literal("success"),
    data: z.object({
      status: z.enum(["ok", "degraded"]),
      runtime: z.enum(RUNTIMES),
      version: z.string(),
      services: z.object({
        database: z.object({ status: dependencyStatus, latencyMs: z.number() }),
        redis: z.object({
          status: dependencyStatus,
          adapter: z.enum(["upstash", "ioredis", "embedded"]),
          latencyMs: z.number(),
          evictsKeys: z.boolean().nullable().openapi({
            description:
              "The Redis holding sessions and rate limits may evict keys (a maxmemory with a policy other than noeviction): set noeviction there, and put the cache on REDIS_CACHE_URL. Null where the server does not say",
          }),
          cache: z
            .object({ status: dependencyStatus, latencyMs: z.number() })
            .optional()
            .openapi({ description: "The separate cache Redis (REDIS_CACHE_URL), when there is one" }),
        }),
      }),
    }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Health"],
  security: [],
  summary: "Liveness and dependency status",
  description: "Redis down is `degraded` (still 200: the API serves without it); database down is 503 with the same body.",
  responses: {
    200: { description: "Serving", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "The database is down", content: { "application/json": { schema: HealthSchema } } },
  },
});

async function probe(check: () => Promise<unknown>) {
  const started = performance.now();
  const status = await check().then(
    () => "up" as const,
    () => "down" as const,
  );
  return { status, latencyMs: elapsedMs(started) };
}

const IndexSchema = z
  .object({
    status: z.literal("success"),
    data: z.object({ name: z.string(), version: z.string(), links: z.record(z.string(), z.string()) }),
  })
  .openapi("Index");

const indexRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "getIndex",
  tags: ["Health"],
  security: [],
  summary: "Where to go from here: docs, the OpenAPI document, the dashboard, health, the products",
  description: "Links to the rest of the API, for a newcomer who opens the root URL.",
  responses: { 200: { description: "Links", content: { "application/json": { schema: IndexSchema } } } },
});

const LINKS = { docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard", health: "/health", products: "/api/products" };

/** GET / and GET /health, as a router to mount at `/`. */
export function healthRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(indexRoute, (c) =>
    c.json({ status: "success" as const, data: { name: "JollyJet Edge API", version: c.get("services").version, links: LINKS } }, 200),
  );
  return app.openapi(route, async (c) => {
    const { db, redis, cacheRedis, runtime, version } = c.get("services");
    // INFO goes in PING's round trip (the port sends a tick's commands together).
    const memory = redis.run(ops.info("memory")).catch((): Record<string, string> => ({}));
    const [database, redisStatus, cacheStatus] = await Promise.all([
      probe(() => pingDatabase(db)),
      probe(() => redis.run(ops.ping())),
      cacheRedis === redis ? undefined : probe(() => cacheRedis.run(ops.ping())),
    ]);
    const up = redisStatus.status === "up" && cacheStatus?.status !== "down";
    const body = {
      status: "success" as const,
      data: {
        status: up ? ("ok" as const) : ("degraded" as const),
        runtime,
        version,
        services: {
          database,
          redis: {
            ...redisStatus,
            adapter: redis.adapter,
            evictsKeys: evictsKeys(await memory),
            ...(cacheStatus ? { cache: cacheStatus } : {}),
          },
        },
      },
    };
    return database.status === "up" ? c.json(body, 200) : c.json(body, 503);
  });
}
