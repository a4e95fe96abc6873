/**
 * HTTP fuzzing of every route with fast-check: random methods, paths (real routes with odd
 * ids, and random ones), query strings, headers and bodies, never the admin token. Every
 * answer must be a client error or a success — never a 5xx, never a stack trace or SQL —
 * in the JSON envelope, and afterwards the catalogue and Object.prototype are untouched.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../shared/harness";
import { createTestApp } from "../support/node-app";
import type { Product } from "../../src/catalogue/types";

const RUNS = 10_000;
const ADMIN_TOKEN = `fuzz-admin-${crypto.randomUUID()}`;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

type App = Awaited<ReturnType<typeof createTestApp>>;

interface Page {
  products: Product[];
  total: number;
}

// ---------------------------------------------------------------------------
// Arbitraries

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 });
/** Header-safe (ByteString, no CR/LF/NUL) but otherwise arbitrary: Latin-1 included. */
const headerText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((code) => code !== 0x7f)
    .map((code) => String.fromCharCode(code)),
  maxLength: 80,
});
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }), // includes lone surrogates
  printable,
);

/** Percent-encoded when possible (lone surrogates cannot be), raw otherwise or when asked. */
const segmentOf = (text: string, raw: boolean) => {
  if (raw) return text;
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
};

function arbitraries(realIds: string[]) {
  const method = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") },
    { weight: 1, arbitrary: fc.constantFrom("PROPFIND", "MKCOL", "PURGE", "LINK", "patch", "Get", "FOO-BAR", "X") },
  );

  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...realIds) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/) },
    { weight: 3, arbitrary: fc.tuple(anyText, fc.boolean()).map(([text, raw]) => segmentOf(text, raw)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "..",
        ".",
        "%00",
        "%2e%2e",
        "..%2f..%2fetc%2fpasswd",
        "%",
        "%zz",
        "%C0%AE",
        "%EF%BF%BF",
        "__proto__",
        "constructor",
        "prototype",
        "null",
        "undefined",
        "0",
        "-1",
        "1e309",
        "NaN",
        "' OR 1=1 --",
        "a;b",
        "ü",
        "😀",
        "a b",
        "",
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 20_000 }).map((length) => "a".repeat(length)) },
  );

  /** The real routes, each with the methods it answers (half the requests use one of them, to get past the router). */
  const routes: Array<{ path: fc.Arbitrary<string>; methods: string[]; weight?: number }> = [
    { path: fc.constant("/health"), methods: ["GET"] },
    { path: fc.constant("/openapi.json"), methods: ["GET"] },
    { path: fc.constant("/docs"), methods: ["GET"] },
    { path: fc.constant("/api/auth/register"), methods: ["POST"], weight: 2 },
    { path: fc.constant("/api/auth/login"), methods: ["POST"], weight: 2 },
    { path: fc.constant("/api/auth/logout"), methods: ["POST"] },
    { path: fc.constant("/api/auth/logout-all"), methods: ["POST"] },
    { path: fc.constant("/api/auth/me"), methods: ["GET"] },
    { path: fc.constant("/api/products"), methods: ["GET", "POST"], weight: 4 },
    { path: id.map((value) => `/api/products/${value}`), methods: ["GET", "PATCH", "PUT", "DELETE"], weight: 6 },
    { path: id.map((value) => `/api/products/${value}/wishlist`), methods: ["POST"], weight: 2 },
    { path: fc.constant("/api/wishlist"), methods: ["GET"] },
    { path: fc.constant("/api/cache"), methods: ["DELETE"] },
    { path: fc.constant("/api/cache/metrics"), methods: ["GET"] },
    { path: fc.constant("/api/cache/consistency"), methods: ["GET"] },
    { path: fc.constant("/api/cache/consistency/run"), methods: ["POST"] },
  ];
  const routed = fc.oneof(
    ...routes.map((route) => ({
      weight: route.weight ?? 1,
      arbitrary: fc.record({ path: route.path, method: fc.oneof(fc.constantFrom(...route.methods), method) }),
    })),
  );
  const randomPath = fc.oneof(
    fc
      .array(
        fc.tuple(anyText, fc.boolean()).map(([text, raw]) => segmentOf(text, raw)),
        { maxLength: 6 },
      )
      .map((segments) => `/${segments.join("/")}`),
    fc.constantFrom(
      "/",
      "//",
      "/api",
      "/api/",
      "/api//products",
      "/API/PRODUCTS",
      "/api/products/",
      "/api/products/../cache",
      "/api/./products",
      "/health/",
      "/%2e%2e/etc/passwd",
      "/api/products?",
      "/.env",
      "/api/products/x/y/z",
    ),
    fc
      .tuple(fc.constantFrom("/api/products/", "/api/auth/", "/api/cache/", "/"), anyText)
      .map(([prefix, text]) => prefix + segmentOf(text, false)),
  );
  const target = fc.oneof({ weight: 4, arbitrary: routed }, { weight: 1, arbitrary: fc.record({ path: randomPath, method }) });

  const queryPair = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "page=-1",
        "page=0",
        "page=1",
        "page=2.5",
        "page=1e309",
        "page=99999999999999999999",
        "limit=1e309",
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=",
        "limit=5",
        "minPrice=NaN",
        "minPrice=-1",
        "minPrice=Infinity",
        "maxPrice=1.001",
        "maxPrice=1e308",
        "minPrice=10&maxPrice=1",
        "sort=__proto__",
        "sort=constructor",
        "sort=-price",
        "sort=name;DROP",
        "isActive=yes",
        "isActive=true",
        "category=",
        "category=%00",
        "search=%25_%25",
        "search=%F0%9F%98%80",
        "__proto__[isAdmin]=1",
        "constructor[prototype][isAdmin]=1",
        "a[b][c]=d",
        "page=1&page=2",
        "limit=1&limit=1&limit=1",
        "=",
        "&&&",
        "%",
        "%zz=1",
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom("page", "limit", "category", "search", "isActive", "minPrice", "maxPrice", "sort", "id", "q", "__proto__"),
          anyText,
        )
        .map(([key, value]) => `${key}=${segmentOf(value, false)}`),
    },
    { weight: 1, arbitrary: fc.tuple(anyText, anyText).map(([key, value]) => `${segmentOf(key, false)}=${segmentOf(value, false)}`) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }).map((length) => `search=${"s".repeat(length)}`) },
  );
  const query = fc.oneof(
    { weight: 2, arbitrary: fc.constant("") },
    { weight: 3, arbitrary: fc.array(queryPair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join("&")}`) },
  );

  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });
  const headers = fc.record({
    contentType: optional(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant("application/json") },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/problem+json",
            "application/jsonx",
            "application/json; charset=latin1",
            "text/plain",
            "text/html",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/octet-stream",
            "",
            ";",
            "json",
          ),
        },
        { weight: 1, arbitrary: headerText },
      ),
    ),
    authorization: optional(
      fc.oneof(
        printable.map((token) => `Bearer ${token}`),
        fc.constantFrom(
          "Bearer",
          "Bearer ",
          "bearer x",
          "Bearer a b",
          "Basic YWRtaW46YWRtaW4=",
          "Bearer null",
          "Bearer undefined",
          "Bearer __proto__",
          `Bearer ${"A".repeat(5000)}`,
        ),
        headerText,
      ),
    ),
    cookie: optional(
      fc.oneof(
        printable.map((value) => `sid=${value}`),
        fc.constantFrom("sid=garbage", "sid=", "sid", "sid=a; sid=b", "sid=%00", 'sid="quoted"', "__proto__=1", `sid=${"x".repeat(4000)}`),
        headerText,
      ),
    ),
    origin: optional(
      fc.oneof(
        fc.constantFrom("http://evil.example", "null", "http://localhost", "https://localhost", "file://", "http://localhost:1"),
        headerText,
      ),
    ),
    requestId: optional(fc.oneof(printable, fc.constantFrom("", " ", "x".repeat(500), "../../etc", "<script>"))),
    forwardedFor: optional(fc.oneof(fc.ipV4(), fc.ipV6(), headerText)),
  });

  const nest = (depth: number, open: string, close: string, inner = "") => open.repeat(depth) + inner + close.repeat(depth);
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 2,
      arbitrary: fc
        .record(
          {
            name: fc.oneof(fc.string(), fc.constant("Fuzzed Product")),
            description: fc.oneof(fc.string(), fc.constant("A fuzzed product description.")),
            price: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e308, -0, 0.001, 19.99, 1_000_000_001)),
            stock: fc.oneof(fc.integer(), fc.double(), fc.constant(1e308)),
            category: fc.string(),
            images: fc.array(fc.oneof(fc.webUrl(), fc.string())),
            isActive: fc.oneof(fc.boolean(), fc.string()),
            email: fc.oneof(fc.emailAddress(), fc.string()),
            password: fc.string({ maxLength: 200 }),
            id: fc.string(),
            version: fc.integer(),
            wishlistCount: fc.integer(),
            roles: fc.constant(["admin"]),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    },
    {
      weight: 2,
      // Written as raw JSON text: JSON.stringify would drop a __proto__ set through an object literal.
      arbitrary: fc.constantFrom(
        '{"__proto__":{"isAdmin":true,"polluted":"yes","roles":["admin"]}}',
        '{"constructor":{"prototype":{"isAdmin":true,"polluted":"yes"}}}',
        '{"prototype":{"isAdmin":true}}',
        '[{"__proto__":{"polluted":1}}]',
        '{"name":"Polluting Product","description":"A product with a prototype.","price":1,"stock":1,"category":"c","__proto__":{"isAdmin":true}}',
        '{"stock":5,"__proto__":{"polluted":"yes"}}',
        '{"email":"a@b.co","password":"password123","__proto__":{"roles":["admin"]}}',
        '{"a":{"__proto__":{"b":{"__proto__":{"polluted":1}}}}}',
        '{"__proto__":null}',
        '{"toString":"x","valueOf":1,"hasOwnProperty":false}',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"price":1e308,"stock":1e308}',
        '{"price":1e309}',
        '{"stock":123456789012345678901234567890}',
        '{"price":-0,"stock":-0}',
        '{"price":1e-400}',
        '{"stock":9007199254740993}',
        "[1e308,-1e308,5e-324]",
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((depth) => nest(depth, "[", "]")) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((depth) => nest(depth, '{"a":', "}", "1")) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        anyText,
        fc.constantFrom("{", "}", "nul", "tru", "\u0000", '{"a":1,}', "{'a':1}", "NaN", "Infinity", "\uFEFF{}", "1 2", '"unterminated'),
      ),
    },
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 80_000 }).map((size) => JSON.stringify({ description: "d".repeat(size) })) },
  );

  return fc.record({ target, query, headers, body: fc.option(body, { nil: undefined, freq: 4 }) });
}

// ---------------------------------------------------------------------------

const LEAKS: Array<[string, RegExp]> = [
  ["stack frame", /\bat \S[^\n]*:\d+:\d+|\n\s+at /],
  ["SELECT", /SELECT/],
  ["sqlite", /sqlite/i],
  ["libsql", /libsql/i],
  ["Error:", /Error:/],
];
const UNSAFE_OK_UNDER = /^\/api\/auth\//; // register, login and logout need no admin
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

describe("HTTP fuzzing of every route", () => {
  let built: App;
  const fixtureIds: string[] = [];

  beforeAll(async () => {
    built = await createTestApp({ ADMIN_TOKEN });
    const category = `fuzz-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 4; i += 1) {
      const response = await built.app.request(
        "/api/products",
        json(
          { name: `Fuzz Fixture ${i}`, description: "A product the fuzzer must not be able to change.", price: 5 + i, stock: i, category },
          ADMIN,
        ),
      );
      expect(response.status).toBe(201);
      fixtureIds.push(((await response.json()) as { data: Product }).data.id);
    }
  });

  afterAll(async () => {
    await built?.close();
  });

  it(`answers ${RUNS} random requests without a 5xx or a leak, and changes nothing`, async () => {
    const { app } = built;
    const catalogueNow = async () => {
      const response = await app.request("/api/products?limit=100");
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: Page }).data;
    };
    const productNow = async (id: string) => {
      const response = await app.request(`/api/products/${id}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: Product }).data;
    };
    const catalogueBefore = await catalogueNow();
    const fixtureBefore = await productNow(fixtureIds[0]!);
    const objectKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayKeysBefore = Object.getOwnPropertyNames(Array.prototype).sort();

    const statuses: Record<number, number> = {};
    const byRoute: Record<string, Record<number, number>> = {};
    let sent = 0;
    let unsendable = 0;
    const started = performance.now();

    await fc.assert(
      fc.asyncProperty(arbitraries(fixtureIds), async ({ target: { method, path }, query, headers, body }) => {
        const init: RequestInit & { headers: Record<string, string> } = { method, headers: {} };
        if (headers.contentType !== undefined) init.headers["content-type"] = headers.contentType;
        if (headers.authorization !== undefined) init.headers.authorization = headers.authorization;
        if (headers.cookie !== undefined) init.headers.cookie = headers.cookie;
        if (headers.origin !== undefined) init.headers.origin = headers.origin;
        if (headers.requestId !== undefined) init.headers["x-request-id"] = headers.requestId;
        if (headers.forwardedFor !== undefined) init.headers["x-forwarded-for"] = headers.forwardedFor;
        if (body !== undefined && !SAFE_METHODS.has(method.toUpperCase())) init.body = body;
        let request: Request;
        try {
          request = new Request(`http://localhost${path}${query}`, init);
        } catch {
          unsendable += 1; // a method, URL or header value that fetch itself refuses to build
          return;
        }
        const pathname = new URL(request.url).pathname;
        const describe = `${request.method} ${request.url.slice(0, 200)} body=${JSON.stringify(body?.slice(0, 200))} headers=${JSON.stringify(init.headers).slice(0, 300)}`;

        const response = await app.request(request);
        sent += 1;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        const route = routeOf(pathname);
        byRoute[route] ??= {};
        byRoute[route][response.status] = (byRoute[route][response.status] ?? 0) + 1;
        const text = await response.text();
        const contentType = response.headers.get("content-type") ?? "";

        if (response.status >= 500) throw new Error(`${response.status} for ${describe}: ${text.slice(0, 500)}`);
        if (!response.headers.get("x-request-id")) throw new Error(`no X-Request-Id for ${describe}`);
        if (response.status >= 200 && response.status < 300 && !SAFE_METHODS.has(request.method) && !UNSAFE_OK_UNDER.test(pathname)) {
          throw new Error(`a write without the admin token was accepted (${response.status}) for ${describe}: ${text.slice(0, 300)}`);
        }
        if (response.status >= 400 && request.method !== "HEAD" && !/^application\/json/i.test(contentType)) {
          throw new Error(`error ${response.status} is not JSON (${contentType}) for ${describe}: ${text.slice(0, 300)}`);
        }
        if (/^application\/json/i.test(contentType) && text !== "") {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new Error(`invalid JSON with ${contentType} for ${describe}: ${text.slice(0, 300)}`);
          }
          const isOpenApiDocument = pathname === "/openapi.json" && response.status === 200;
          const envelope = parsed as { status?: unknown; code?: unknown; message?: unknown };
          if (!isOpenApiDocument && envelope?.status !== "success" && envelope?.status !== "error") {
            throw new Error(`JSON without the envelope (${response.status}) for ${describe}: ${text.slice(0, 300)}`);
          }
          if (
            response.status >= 400 &&
            (envelope.status !== "error" || typeof envelope.code !== "string" || typeof envelope.message !== "string")
          ) {
            throw new Error(`error ${response.status} without {status:"error",code,message} for ${describe}: ${text.slice(0, 300)}`);
          }
        }
        if (response.status >= 400) {
          for (const [label, pattern] of LEAKS) {
            if (pattern.test(text)) throw new Error(`error body leaks ${label} for ${describe}: ${text.slice(0, 500)}`);
          }
        }
      }),
      { numRuns: RUNS },
    );
    const durationMs = performance.now() - started;

    const catalogueAfter = await catalogueNow();
    const fixtureAfter = await productNow(fixtureIds[0]!);
    const polluted = {
      objectKeys: Object.getOwnPropertyNames(Object.prototype).sort(),
      arrayKeys: Object.getOwnPropertyNames(Array.prototype).sort(),
      isAdmin: ({} as Record<string, unknown>).isAdmin,
      pollutedKey: ({} as Record<string, unknown>).polluted,
      roles: ({} as Record<string, unknown>).roles,
    };

    console.log(
      `[faults] fuzz: ${JSON.stringify({
        runs: RUNS,
        requests: sent,
        unsendable,
        durationMs: Math.round(durationMs),
        requestsPerSecond: Math.round(sent / (durationMs / 1000)),
        statuses,
        byRoute,
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      })}`,
    );

    expect(sent).toBeGreaterThanOrEqual(RUNS * 0.95);
    expect(catalogueAfter).toEqual(catalogueBefore);
    expect(fixtureAfter).toEqual(fixtureBefore);
    expect(polluted).toEqual({
      objectKeys: objectKeysBefore,
      arrayKeys: arrayKeysBefore,
      isAdmin: undefined,
      pollutedKey: undefined,
      roles: undefined,
    });
  });
});

/** Which route a path reached, for the status distribution. */
function routeOf(pathname: string): string {
  if (/^\/api\/products\/[^/]+\/wishlist$/.test(pathname)) return "/api/products/{id}/wishlist";
  if (/^\/api\/products\/[^/]+$/.test(pathname)) return "/api/products/{id}";
  const known = [
    "/health",
    "/openapi.json",
    "/docs",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/logout-all",
    "/api/auth/me",
    "/api/products",
    "/api/wishlist",
    "/api/cache",
    "/api/cache/metrics",
    "/api/cache/consistency",
    "/api/cache/consistency/run",
  ];
  return known.includes(pathname) ? pathname : "(other)";
}
