import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProductRepository } from "../../src/catalogue/repository";
import { createLogger } from "../../src/logger";
import type { RedisCommand } from "../../src/redis/commands";
import type { RedisTransport } from "../../src/redis/port";
import { json, sleep, uniqueEmail } from "../shared/harness";
import { createTestApp } from "../support/node-app";

const ADMIN_TOKEN = "resilience-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const data = async <T>(response: Response) => ((await response.json()) as { data: T }).data;
const sample = { name: "Sturdy Table", description: "A table that survives outages.", price: 150, stock: 2, category: "resilience" };

/** Failure injection (a database cannot be made to fail on cue): a switch in front of the real repository. */
function switchableDatabase() {
  const state = { failing: false };
  const wrap = (repository: ProductRepository): ProductRepository =>
    Object.fromEntries(
      Object.entries(repository).map(([name, method]) => [
        name,
        async (...args: unknown[]) => {
          if (state.failing) throw new Error("SQLITE_IOERR: disk I/O error in SELECT * FROM products");
          return (method as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      ]),
    ) as unknown as ProductRepository;
  return { state, wrap };
}

describe("database failures", () => {
  const database = switchableDatabase();
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    app = await createTestApp({ ADMIN_TOKEN, CACHE_TTL_PRODUCT_S: "1" }, { wrapProducts: database.wrap });
  });
  afterEach(() => {
    database.state.failing = false;
  });
  afterAll(() => app.close());

  it("a read with nothing cached is 503 DATABASE_UNAVAILABLE, with no SQL or stack in the body", async () => {
    database.state.failing = true;
    const response = await app.app.request(`/api/products/${crypto.randomUUID()}`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: "error", code: "DATABASE_UNAVAILABLE" });
    expect(text).not.toMatch(/SELECT|SQLITE|at \w|\.ts:/);
  });

  it("a cached product is still served, fresh (HIT) and past its fresh time (STALE, stale-if-error)", async () => {
    const product = await data<{ id: string }>(await app.app.request("/api/products", json(sample, admin)));
    database.state.failing = true;
    const hit = await app.app.request(`/api/products/${product.id}`);
    expect([hit.status, hit.headers.get("x-cache")]).toEqual([200, "HIT"]);
    await sleep(1_100);
    const stale = await app.app.request(`/api/products/${product.id}`);
    expect([stale.status, stale.headers.get("x-cache")]).toEqual([200, "STALE"]);
    expect(await data(stale)).toEqual(await data(hit));
  });

  it("a write is not acknowledged unless committed", async () => {
    const product = await data<{ id: string; stock: number }>(await app.app.request("/api/products", json(sample, admin)));
    database.state.failing = true;
    const write = await app.app.request(`/api/products/${product.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...admin },
      body: JSON.stringify({ stock: 99 }),
    });
    expect(write.status).toBe(503);
    database.state.failing = false;
    expect((await data<{ stock: number }>(await app.app.request(`/api/products/${product.id}`))).stock).toBe(product.stock);
  });
});

/** The batch after a commit: it bumps the list generation (as the one before the commit does) but opens no write window. */
const isWriteThrough = (commands: readonly RedisCommand[]) =>
  commands.some(
    (command) => (command.name === "eval" || command.name === "evalsha") && command.keys.some((key) => key.endsWith(":cache-gen:products")),
  ) && !commands.some((command) => command.name === "pexpire");

/** Failure injection: while `on`, Redis answers everything but the write-through after a commit (fill + generation bump). */
function writeThroughFailure() {
  const state = { on: false };
  const wrapRedis = (inner: RedisTransport): RedisTransport => ({
    ...inner,
    send: async (commands, deadline) => {
      if (state.on && isWriteThrough(commands)) throw new Error("injected write-through failure");
      return inner.send(commands, deadline);
    },
  });
  return { state, wrapRedis };
}

describe("a write whose cache write-through fails", () => {
  it("strict mode: is not acknowledged (503 WRITE_NOT_CONFIRMED) though committed, and is read correctly", async () => {
    const failing = writeThroughFailure();
    const app = await createTestApp({ ADMIN_TOKEN }, { wrapRedis: failing.wrapRedis });
    try {
      const product = await data<{ id: string }>(await app.app.request("/api/products", json(sample, admin)));
      failing.state.on = true;
      const write = await app.app.request(`/api/products/${product.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ stock: 56 }),
      });
      expect(write.status).toBe(503);
      expect(write.headers.get("retry-after")).toBe("1");
      expect(await write.json()).toMatchObject({ code: "WRITE_NOT_CONFIRMED" });
      expect(await data(await app.app.request(`/api/products/${product.id}`))).toMatchObject({ stock: 56, version: 2 });
    } finally {
      await app.close();
    }
  });

  it("available mode: is acknowledged, still read correctly, and the next consistency run finds nothing to repair", async () => {
    const failing = writeThroughFailure();
    const app = await createTestApp({ ADMIN_TOKEN, CACHE_CONSISTENCY: "available" }, { wrapRedis: failing.wrapRedis });
    try {
      const product = await data<{ id: string }>(await app.app.request("/api/products", json(sample, admin)));
      expect((await app.app.request(`/api/products/${product.id}`)).headers.get("x-cache")).toBe("HIT");
      failing.state.on = true;
      const write = await app.app.request(`/api/products/${product.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ stock: 55 }),
      });
      expect(write.status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const read = await app.app.request(`/api/products/${product.id}`);
        expect(await data(read)).toMatchObject({ stock: 55, version: 2 });
        expect(read.headers.get("x-cache")).toBe("BYPASS"); // from the database while Redis owes this instance the write-through
      }
      failing.state.on = false;
      // The next request hands Redis what it is owed; then the cache serves the new value.
      await app.app.request(`/api/products/${product.id}`);
      await sleep(300);
      const settled = await app.app.request(`/api/products/${product.id}`);
      expect(settled.headers.get("x-cache")).toBe("HIT");
      expect(await data(settled)).toMatchObject({ stock: 55, version: 2 });
      const report = await app.services.runConsistency("manual");
      expect(report).toMatchObject({ stale: 0, orphaned: 0, corrupt: 0, score: 100 });
    } finally {
      await app.close();
    }
  });
});

describe("hardening", () => {
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    app = await createTestApp({ ADMIN_TOKEN, CORS_ORIGINS: "https://shop.example.com" });
  });
  afterAll(() => app.close());

  it("sends the secure headers on every response", async () => {
    for (const path of ["/health", "/api/products", "/nope"]) {
      const response = await app.app.request(path);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(response.headers.get("strict-transport-security")).toMatch(/max-age=/);
    }
  });

  it("allows CORS only for the configured origins", async () => {
    const allowed = await app.app.request("/api/products", { headers: { origin: "https://shop.example.com" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const foreign = await app.app.request("/api/products", { headers: { origin: "https://evil.example" } });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await app.app.request("/api/products", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("with no CORS_ORIGINS, no origin gets CORS headers", async () => {
    const plain = await createTestApp();
    try {
      const response = await plain.app.request("/api/products", { headers: { origin: "https://shop.example.com" } });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe("logs", () => {
  it("redact passwords, tokens, cookies and authorization wherever they appear", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
    const token = `${crypto.randomUUID()}.${"a".repeat(43)}`;
    logger.child({ requestId: "r1" }).warn(`lookup of ${token} failed`, {
      password: "hunter2hunter2",
      body: { email: "a@b.c", password: "p4ssw0rd!" },
      headers: { authorization: `Bearer ${token}`, cookie: `sid=${token}` },
      error: new Error(`bad token ${token}`),
      sessionToken: token,
    });
    const line = lines.join("\n");
    for (const secret of ["hunter2hunter2", "p4ssw0rd!", token, "Bearer"]) expect(line).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: "r1", level: "warn", body: { email: "a@b.c", password: "[REDACTED]" } });
  });

  it("a whole sign-up, login and failed request writes no password, token or cookie to the log", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const app = await createTestApp({ LOG_LEVEL: "debug", REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "200" });
    try {
      const email = uniqueEmail("logs");
      const password = "very secret password";
      await app.app.request("/api/auth/register", json({ email, password }));
      await app.app.request(
        "/api/auth/login",
        json({ email, password }, { cookie: "sid=00000000-0000-0000-0000-000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
      );
      await app.app.request("/api/auth/me", {
        headers: { authorization: "Bearer 00000000-0000-0000-0000-000000000000.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" },
      });
    } finally {
      spy.mockRestore();
      await app.close();
    }
    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThan(3);
    expect(log).not.toContain("very secret password");
    expect(log).not.toMatch(/A{43}|B{43}/);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty("time");
    expect(lines.filter((line) => line.includes('"message":"request"')).every((line) => line.includes('"requestId"'))).toBe(true);
  });
});

describe("logs during a Redis outage", () => {
  it("say once that the circuit opened, not a warning per request", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const app = await createTestApp({ LOG_LEVEL: "info", REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "100" });
    try {
      for (let i = 0; i < 100; i++) expect((await app.app.request("/api/products?limit=1")).status).toBe(200);
    } finally {
      spy.mockRestore();
      await app.close();
    }
    const records = lines.map((line) => JSON.parse(line) as { level: string; message: string });
    expect(records.filter((record) => record.message.includes("circuit open"))).toHaveLength(1);
    const warnings = records.filter((record) => record.level === "warn" || record.level === "error");
    // The round trips that opened the circuit, and the occasional probe: a handful, not one per request.
    expect(warnings.length).toBeLessThan(20);
  });
});
