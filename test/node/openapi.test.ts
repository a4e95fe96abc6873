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
