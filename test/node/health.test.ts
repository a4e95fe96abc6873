import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { createApp } from "../../src/app";
import { nodeDocsAssets } from "../../src/entry/docs-assets-node";
import { parseConfig } from "../../src/config";
import { startNodeServer } from "../../src/entry/node-server";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { buildServices } from "../../src/services";
import { createTestApp, testEnvironment } from "../support/node-app";
import { startUpstashRestServer, type UpstashRestServerHandle } from "../support/upstash-rest-server";

interface HealthBody {
  status: string;
  data: {
    status: "ok" | "degraded";
    runtime: string;
    version: string;
    services: { database: { status: string; latencyMs: number }; redis: { status: string; adapter: string; latencyMs: number } };
  };
}

let rest: UpstashRestServerHandle;
beforeAll(async () => {
  rest = await startUpstashRestServer({ redisUrl: inject("redisUrl") });
});
afterAll(() => rest.close());

async function health(overrides: Record<string, string | undefined>) {
  const { app, close } = await createTestApp(overrides);
  try {
    const response = await app.request("/health");
    return { response, body: (await response.json()) as HealthBody };
  } finally {
    await close();
  }
}

describe("GET /health", () => {
  it.each([
    ["ioredis", {}],
    ["embedded", { REDIS_URL: undefined }],
    ["upstash", { REDIS_URL: undefined, UPSTASH_REDIS_REST_URL: "<rest>", UPSTASH_REDIS_REST_TOKEN: "<token>" }],
  ] as const)("reports %s as up with its latency", async (adapter, overrides) => {
    const resolved = Object.fromEntries(
      Object.entries(overrides).map(([k, v]) => [k, v === "<rest>" ? rest.url : v === "<token>" ? rest.token : v]),
    );
    const { response, body } = await health(resolved);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(body.status).toBe("success");
    expect(body.data).toMatchObject({
      status: "ok",
      runtime: "node",
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      services: { database: { status: "up" }, redis: { status: "up", adapter } },
    });
    expect(body.data.services.redis.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.data.services.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("is degraded but 200 when Redis is unreachable, and answers within the Redis timeout", async () => {
    const started = Date.now();
    const { response, body } = await health({ REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "300" });
    expect(response.status).toBe(200);
    expect(body.data.status).toBe("degraded");
    expect(body.data.services.redis).toMatchObject({ status: "down", adapter: "ioredis" });
    expect(body.data.services.database.status).toBe("up");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("is 503 with the same body when the database is down", async () => {
    // Failure injection with real parts: a libSQL client whose server is not there.
    const config = parseConfig(testEnvironment());
    const deadDatabase = createClient({ url: "http://127.0.0.1:1" });
    const services = buildServices({
      config,
      runtime: "node",
      db: drizzle(deadDatabase),
      redisTransport: createIoRedisTransport(inject("redisUrl")),
      clientAddress: () => undefined,
      docsAssets: nodeDocsAssets(),
    });
    try {
      const response = await createApp(services).request("/health");
      const body = (await response.json()) as HealthBody;
      expect(response.status).toBe(503);
      expect(body.status).toBe("success");
      expect(body.data.services.database.status).toBe("down");
      expect(body.data.services.redis.status).toBe("up");
    } finally {
      await services.redis.close();
      deadDatabase.close();
    }
  });
});

describe("request ids and the error envelope", () => {
  let app: Awaited<ReturnType<typeof createTestApp>>["app"];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await createTestApp());
  });
  afterAll(() => close());

  it("echoes a sane incoming X-Request-Id and replaces an unsafe one", async () => {
    const echoed = await app.request("/health", { headers: { "X-Request-Id": "abc-123_XYZ" } });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123_XYZ");
    for (const bad of ["has spaces", "x".repeat(300), "<script>"]) {
      const replaced = await app.request("/health", { headers: { "X-Request-Id": bad } });
      expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("answers unknown routes with a 404 envelope carrying the request id", async () => {
    const response = await app.request("/no/such/route", { headers: { "X-Request-Id": "req-404" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toBe("req-404");
    expect(await response.json()).toEqual({
      status: "error",
      code: "NOT_FOUND",
      message: "No route for GET /no/such/route",
      requestId: "req-404",
    });
  });

  it("serves the OpenAPI 3.1 document and Swagger UI", async () => {
    const spec = (await (await app.request("/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe("3.1.0");
    expect(Object.keys(spec.paths)).toContain("/health");
    const docs = await app.request("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger-ui/i);
  });
});

describe("the Node server", () => {
  it("listens, serves /health over HTTP and shuts down cleanly", async () => {
    const server = await startNodeServer(testEnvironment({ PORT: "0" }));
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/health`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as HealthBody).data.services.redis.adapter).toBe("ioredis");
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/health`)).rejects.toThrow();
  });
});
