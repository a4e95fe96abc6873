import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/node-app";

type Spec = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
};

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
      Object.entries(spec.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBeGreaterThanOrEqual(14);
  });

  it("documents the rate-limit headers on /api responses and X-Cache on cached reads", () => {
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) {
          expect(Object.keys(response.headers ?? {})).toEqual(
            expect.arrayContaining(["RateLimit", "RateLimit-Policy", "X-RateLimit-Remaining", "X-Request-Id"]),
          );
        }
      }
    }
    expect(Object.keys(spec.paths["/api/products/{id}"]!.get!.responses["200"]!.headers!)).toContain("X-Cache");
    expect(Object.keys(spec.paths["/api/products"]!.get!.responses["200"]!.headers!)).toContain("X-Cache");
  });
});

type Operation = {
  method: string;
  path: string;
  documented: Set<string>;
  body: boolean;
  params: boolean;
  query: boolean;
  secured: boolean;
};

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
        secured:
          (operation.security ?? []).length > 0 &&
          !(operation.security ?? []).some((requirement) => Object.keys(requirement as object).length === 0),
      })),
    );
}

describe("the documented responses of every /api operation", () => {
  const ADMIN_TOKEN = "openapi-probe-admin-token-0123456789abcdef";
  const seen: { operation: string; status: number; documented: boolean }[] = [];
  let operations: Operation[];

  /** Sends `init` to the operation (path parameters filled with `id`) and notes the status against the document. */
  async function probe(
    app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
    operation: Operation,
    init: RequestInit = {},
    id = "no-such-product",
    query = "",
  ) {
    const response = await app.request(operation.path.replace(/\{\w+\}/g, id) + query, { method: operation.method, ...init });
    seen.push({
      operation: `${operation.method} ${operation.path}`,
      status: response.status,
      documented: operation.documented.has(String(response.status)),
    });
    return response.status;
  }
  const jsonInit = (body: string, headers: Record<string, string> = {}): RequestInit => ({
    body,
    headers: { "content-type": "application/json", ...headers },
  });

  it("lists every error status the front door answers with", async () => {
    const { app, close } = await createTestApp({ ADMIN_TOKEN });
    try {
      operations = apiOperations((await (await app.request("/openapi.json")).json()) as Spec);
      const registered = await app.request("/api/auth/register", {
        method: "POST",
        ...jsonInit(JSON.stringify({ email: `probe-${crypto.randomUUID()}@example.com`, password: "probe password" })),
      });
      const userToken = ((await registered.json()) as { data: { token: string } }).data.token;
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      for (const operation of operations) {
        if (operation.secured) {
          await probe(app, operation); // 401
          await probe(app, operation, { headers: { authorization: `Bearer ${userToken}` } }); // 403 on admin routes
          // 403 on a user's reads (/api/auth/me, /api/wishlist): the operator token has no account.
          if (operation.method === "GET") await probe(app, operation, { headers: admin });
        }
        if (operation.params) await probe(app, operation, { headers: admin }, "not.an.id"); // 400
        if (operation.params && operation.method !== "POST")
          await probe(app, operation, operation.body ? { headers: admin, ...jsonInit('{"stock":1}', admin) } : { headers: admin }); // 404
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
    for (const status of [400, 401, 403, 404, 413, 415, 422, 429, 503])
      expect(statuses, `no probe was answered ${status}`).toContain(status);
    // And each operation documents a 4xx, 429 and 503.
    for (const operation of operations) {
      expect(
        [...operation.documented].some((code) => code.startsWith("4") && code !== "429"),
        `${operation.method} ${operation.path}`,
      ).toBe(true);
      expect([...operation.documented], `${operation.method} ${operation.path}`).toEqual(expect.arrayContaining(["429", "503"]));
    }
  });
});

type Schema = {
  type?: string | string[];
  pattern?: string;
  multipleOf?: number;
  minProperties?: number;
  format?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
};
type Parameter = { name: string; in: string; schema: Schema };

/**
 * Where the document and the server disagreed (issue 23's fuzz findings): each rule the
 * document states is the one the server applies, checked value by value against both.
 */
describe("the document says what the server accepts", () => {
  const ADMIN_TOKEN = "openapi-agreement-admin-token-0123456789";
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  let app: Awaited<ReturnType<typeof createTestApp>>["app"];
  let close: () => Promise<void>;
  let schemas: Record<string, Schema>;
  let listParameters: Parameter[];
  beforeAll(async () => {
    ({ app, close } = await createTestApp({ ADMIN_TOKEN }));
    const document = (await (await app.request("/openapi.json")).json()) as {
      components: { schemas: Record<string, Schema> };
      paths: Record<string, Record<string, { parameters: Parameter[] }>>;
    };
    schemas = document.components.schemas;
    listParameters = document.paths["/api/products"]!.get!.parameters;
  });
  afterAll(() => close());

  const parameter = (name: string) => listParameters.find((entry) => entry.name === name)!.schema;
  const matches = (schema: Schema, value: string) => schema.pattern === undefined || new RegExp(schema.pattern, "u").test(value);
  const product = (overrides: Record<string, unknown>) =>
    app.request("/api/products", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({
        name: "Agreement Lamp",
        description: "A lamp the document describes.",
        price: 10,
        stock: 1,
        category: "agreement",
        ...overrides,
      }),
    });

  it("minPrice and maxPrice are numbers with at most two decimals (multipleOf 0.01), not null; so is price", async () => {
    for (const name of ["minPrice", "maxPrice"]) {
      expect(parameter(name)).toMatchObject({ type: "number", minimum: 0, multipleOf: 0.01 });
      expect((await app.request(`/api/products?${name}=null`)).status).toBe(400);
      expect((await app.request(`/api/products?${name}=`)).status).toBe(400);
      expect((await app.request(`/api/products?${name}=1.005`)).status).toBe(400);
      expect((await app.request(`/api/products?${name}=19.99`)).status).toBe(200);
    }
    for (const name of ["CreateProduct", "ReplaceProduct", "PatchProduct"])
      expect(schemas[name]!.properties!.price).toMatchObject({ multipleOf: 0.01 });
  });

  it("PatchProduct needs at least one property (minProperties: 1), as the server does", async () => {
    expect(schemas.PatchProduct).toMatchObject({ minProperties: 1 });
    const created = (await (await product({})).json()) as { data: { id: string } };
    expect((await app.request(`/api/products/${created.data.id}`, { method: "PATCH", headers: admin, body: "{}" })).status).toBe(422);
  });

  it("an email is accepted exactly when it matches the documented pattern", async () => {
    const email = schemas.Credentials!.properties!.email!;
    expect(email.format).toBe("email");
    expect(email.pattern).toBeDefined();
    const local = () => crypto.randomUUID().slice(0, 8);
    const samples = [
      `${local()}@example.com`,
      `ada.${local()}+shop@mail.example.co.uk`,
      `o'${local()}@example.org`,
      `a|${local()}@example.com`,
      `"${local()} q"@example.com`,
      `${local()}@[192.0.2.1]`,
      `${local()}.@example.com`,
      `${local()}@example`,
      `${local()}\u0000@example.com`,
    ];
    for (const sample of samples) {
      const response = await app.request("/api/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: sample, password: "agreement password" }),
      });
      expect(response.status, JSON.stringify(sample)).toBe(matches(email, sample) ? 201 : 422);
    }
  });

  it("image URLs: the documented pattern says http(s) with a host, no spaces or control characters, and the server agrees", async () => {
    const image = schemas.CreateProduct!.properties!.images!.items!;
    expect(image.format).toBe("uri");
    expect(image.pattern).toBeDefined();
    const accepted = ["https://images.example.com/a.jpg", "HTTP://images.example.com/a.jpg?x=1#y", "http://127.0.0.1:8080/a.png"];
    const refused = [
      "ftp://images.example.com/a.jpg",
      "mailto:ada@example.com",
      "https://images.example.com/a b.jpg",
      "https://images.example.com/a\u0000",
      "https://images.example.com/\n",
      "https://",
      "//images.example.com/a.jpg",
      " https://images.example.com/a.jpg",
    ];
    for (const sample of [...accepted, ...refused]) {
      const expected = accepted.includes(sample);
      expect(matches(image, sample), JSON.stringify(sample)).toBe(expected);
      expect((await product({ images: [sample] })).status, JSON.stringify(sample)).toBe(expected ? 201 : 422);
    }
  });

  it("text fields and filters document the control characters they refuse, and the server refuses exactly those", async () => {
    const fields = schemas.CreateProduct!.properties!;
    for (const [field, allowed] of [
      ["name", ""],
      ["category", ""],
      ["description", "\n\t"],
    ] as const) {
      for (const character of ["\u0000", "\u0009", "\u000a", "\u000d", "\u001b", "\u007f", "\u0085", "\u00a0", "\u2028"]) {
        const value = `Agreement ${character} text long enough`;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: which characters are control characters is the question
        const expected = !/[\u0000-\u001f\u007f-\u009f]/u.test(character) || allowed.includes(character);
        expect(matches(fields[field]!, value), `${field} ${JSON.stringify(character)}`).toBe(expected);
        expect((await product({ [field]: value })).status, `${field} ${JSON.stringify(character)}`).toBe(expected ? 201 : 422);
      }
    }
    for (const name of ["search", "category"]) {
      expect(matches(parameter(name), "lamp\u0000")).toBe(false);
      expect((await app.request(`/api/products?${name}=lamp%00`)).status).toBe(400);
      expect((await app.request(`/api/products?${name}=lamp%C2%A0shade`)).status).toBe(200);
    }
  });
});
