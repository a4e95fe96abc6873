import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/node-app";

type Spec = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>> };

/** Routes that serve the documentation itself rather than the API. */
const DOCUMENTATION_ROUTES = new Set(["GET /openapi.json", "GET /docs"]);

describe("the OpenAPI document", () => {
  let app: Awaited<ReturnType<typeof createTestApp>>["app"];
  let close: () => Promise<void>;
  let spec: Spec;
  beforeAll(async () => {
    ({ app, close } = await createTestApp());
    spec = (await (await app.request("/openapi.json")).json()) as Spec;
  });
  afterAll(() => close());

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(spec as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(spec.openapi).toBe("3.1.0");
  });

  it("documents exactly the routes the app serves", () => {
    const served = new Set(
      app.routes
        // Middleware is registered as routes too: for every method (ALL) or on a wildcard path.
        .filter((route) => route.method !== "ALL" && !route.path.includes("*"))
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`)
        .filter((route) => !DOCUMENTATION_ROUTES.has(route)),
    );
    const documented = new Set(
      Object.entries(spec.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBeGreaterThanOrEqual(14);
  });

  it("documents the rate-limit headers on /api responses and X-Cache on cached reads", () => {
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) {
          expect(Object.keys(response.headers ?? {})).toEqual(expect.arrayContaining(["RateLimit", "RateLimit-Policy", "X-RateLimit-Remaining", "X-Request-Id"]));
        }
      }
    }
    expect(Object.keys(spec.paths["/api/products/{id}"]!.get!.responses["200"]!.headers!)).toContain("X-Cache");
    expect(Object.keys(spec.paths["/api/products"]!.get!.responses["200"]!.headers!)).toContain("X-Cache");
  });
});

type Operation = { method: string; path: string; documented: Set<string>; body: boolean; params: boolean; query: boolean; secured: boolean };

/** The /api and /metrics operations of a document, with what each declares. */
function apiOperations(document: Spec): Operation[] {
  type Declared = { responses: Record<string, unknown>; requestBody?: unknown; parameters?: { in: string }[]; security?: unknown[] };
  return Object.entries(document.paths as Record<string, Record<string, Declared>>)
    .filter(([path]) => path.startsWith("/api/") || path === "/metrics")
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        documented: new Set(Object.keys(operation.responses)),
        body: operation.requestBody !== undefined,
        params: (operation.parameters ?? []).some((parameter) => parameter.in === "path"),
        query: (operation.parameters ?? []).some((parameter) => parameter.in === "query"),
        secured: (operation.security ?? []).length > 0 && !(operation.security ?? []).some((requirement) => Object.keys(requirement as object).length === 0),
      })),
    );
}

describe("the documented responses of every /api operation", () => {
  const ADMIN_TOKEN = "openapi-probe-admin-token-0123456789abcdef";
  const seen: { operation: string; status: number; documented: boolean }[] = [];
  let operations: Operation[];

  /** Sends `init` to the operation (path parameters filled with `id`) and notes the status against the document. */
  async function probe(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, operation: Operation, init: RequestInit = {}, id = "no-such-product", query = "") {
    const response = await app.request(operation.path.replace(/\{\w+\}/g, id) + query, { method: operation.method, ...init });
    seen.push({ operation: `${operation.method} ${operation.path}`, status: response.status, documented: operation.documented.has(String(response.status)) });
    return response.status;
  }
  const jsonInit = (body: string, headers: Record<string, string> = {}): RequestInit => ({ body, headers: { "content-type": "application/json", ...headers } });

  it("lists every error status the front door answers with", async () => {
    const { app, close } = await createTestApp({ ADMIN_TOKEN });
    try {
      operations = apiOperations((await (await app.request("/openapi.json")).json()) as Spec);
      const registered = await app.request("/api/auth/register", { method: "POST", ...jsonInit(JSON.stringify({ email: `probe-${crypto.randomUUID()}@example.com`, password: "probe password" })) });
      const userToken = ((await registered.json()) as { data: { token: string } }).data.token;
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      for (const operation of operations) {
        if (operation.secured) {
          await probe(app, operation); // 401
          await probe(app, operation, { headers: { authorization: `Bearer ${userToken}` } }); // 403 on admin routes
        }
        if (operation.params) await probe(app, operation, { headers: admin }, "not.an.id"); // 400
        if (operation.params && operation.method !== "POST") await probe(app, operation, operation.body ? { headers: admin, ...jsonInit('{"stock":1}', admin) } : { headers: admin }); // 404
        if (operation.query) await probe(app, operation, {}, undefined, "?no_such_parameter=1"); // 400
        if (operation.body) {
          await probe(app, operation, jsonInit("{not json", admin)); // 400
          await probe(app, operation, { body: "plain", headers: { "content-type": "text/plain", ...admin } }); // 415
          await probe(app, operation, jsonInit('{"price":"free"}', admin)); // 422
        }
        if (operation.method !== "GET") {
          await probe(app, operation, jsonInit(JSON.stringify({ padding: "x".repeat(70 * 1024) }), admin)); // 413
          await probe(app, operation, { headers: { cookie: `sid=${userToken}`, origin: "https://evil.example" } }); // 403 (cross-site)
        }
      }
    } finally {
      await close();
    }
  });

  it("lists 429 when the rate limit refuses and 503 when Redis is down with the limit failing closed", async () => {
    const limited = await createTestApp({ RATE_LIMIT_MAX: "1", RATE_LIMIT_AUTH_MAX: "1" });
    const down = await createTestApp({ REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "200", RATE_LIMIT_FAIL_MODE: "closed" });
    try {
      for (const operation of operations) {
        await probe(limited.app, operation);
        await probe(limited.app, operation); // 429: the default policy allows one request per window
        await probe(down.app, operation); // 503
      }
    } finally {
      await limited.close();
      await down.close();
    }
  });

  it("and every one of those statuses was documented by the operation that gave it", () => {
    expect(seen.filter((entry) => !entry.documented)).toEqual([]);
    // Not vacuous: the probes provoked each front-door answer somewhere.
    const statuses = new Set(seen.map((entry) => entry.status));
    for (const status of [400, 401, 403, 404, 413, 415, 422, 429, 503]) expect(statuses, `no probe was answered ${status}`).toContain(status);
    // And each operation documents a 4xx, 429 and 503.
    for (const operation of operations) {
      expect([...operation.documented].some((code) => code.startsWith("4") && code !== "429"), `${operation.method} ${operation.path}`).toBe(true);
      expect([...operation.documented], `${operation.method} ${operation.path}`).toEqual(expect.arrayContaining(["429", "503"]));
    }
  });
});
