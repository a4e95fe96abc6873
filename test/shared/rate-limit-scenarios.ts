import { describe, expect, it } from "vitest";
import type { RedisCommand } from "../../src/redis/commands";
import type { RedisTransport } from "../../src/redis/port";
import { json, sleep, uniqueEmail, type Harness } from "./harness";

const ADMIN_TOKEN = "rate-limit-scenarios-admin-token";
const address = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 6)}`;
const data = async <T>(response: Response) => ((await response.json()) as { data: T }).data;
const sample = { name: "Limited Lamp", description: "A lamp people keep asking about.", price: 12.5, stock: 3, category: "ratelimit" };

/** Waits until a fresh window of `seconds` has just begun, so a burst cannot straddle two windows. */
async function startOfWindow(seconds: number) {
  const windowMs = seconds * 1000;
  const into = Date.now() % windowMs;
  if (into > 100) await sleep(windowMs - into + 20);
}

/** Rate limits through the front door; the same assertions run on Node and in workerd. */
export function rateLimitScenarios(harness: Harness) {
  describe("the default policy", () => {
    it("admits exactly RATE_LIMIT_MAX of 60 concurrent requests from one client, with all headers", async () => {
      const send = await harness.app({ ...harness.clientAddressing, RATE_LIMIT_MAX: "20", RATE_LIMIT_WINDOW_S: "2", REDIS_PREFIX: `rl-${crypto.randomUUID().slice(0, 8)}` });
      const client = harness.from(address());
      await startOfWindow(2);
      const responses = await Promise.all(Array.from({ length: 60 }, () => send("/api/products?limit=1", { headers: client })));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(40);

      for (const response of responses) {
        expect(response.headers.get("ratelimit-policy")).toBe('"default";q=20;w=2');
        expect(response.headers.get("ratelimit")).toMatch(/^"default";r=\d+;t=\d+$/);
        expect(response.headers.get("x-ratelimit-limit")).toBe("20");
        expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      }
      const blocked = responses.find((r) => r.status === 429)!;
      expect(blocked.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await blocked.json()).toMatchObject({ status: "error", code: "RATE_LIMITED" });
      const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get("x-ratelimit-remaining"))).sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => i));

      // Another client is unaffected.
      expect((await send("/api/products?limit=1", { headers: harness.from(address()) })).status).toBe(200);
      // Once the window has passed, the first client is admitted again.
      await startOfWindow(2);
      await sleep(2_100);
      expect((await send("/api/products?limit=1", { headers: client })).status).toBe(200);
    }, 20_000);

    it("limits a signed-in caller per user, whatever address they come from", async () => {
      const send = await harness.app({ ...harness.clientAddressing, RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_S: "60", REDIS_PREFIX: `rl-${crypto.randomUUID().slice(0, 8)}` });
      const { token } = await data<{ token: string }>(await send("/api/auth/register", json({ email: uniqueEmail(), password: "per user password" }, harness.from(address()))));
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await send("/api/auth/me", { headers: { authorization: `Bearer ${token}`, ...harness.from(address()) } })).status);
      // Registering used one of the address's requests, not the user's; the user has 3.
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  });

  describe("the auth policy", () => {
    const authDefaults = { RATE_LIMIT_AUTH_MAX: "5", RATE_LIMIT_AUTH_WINDOW_S: "900" };

    it("blocks the 6th login attempt from one client in the window", async () => {
      const send = await harness.app({ ...harness.clientAddressing, ...authDefaults, REDIS_PREFIX: `rl-${crypto.randomUUID().slice(0, 8)}` });
      const client = harness.from(address());
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await send("/api/auth/login", json({ email: uniqueEmail(), password: "wrong password" }, client))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });

    it("limits attempts on one email across different addresses", async () => {
      const send = await harness.app({ ...harness.clientAddressing, ...authDefaults, REDIS_PREFIX: `rl-${crypto.randomUUID().slice(0, 8)}` });
      const email = uniqueEmail("target");
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await send("/api/auth/login", json({ email, password: "guess number " + i }, harness.from(address())))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const blocked = await send("/api/auth/login", json({ email: email.toUpperCase(), password: "again" }, harness.from(address())));
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get("ratelimit-policy")).toContain('"auth";q=5;w=900');
    });
  });

  describe("fail modes when Redis is down", () => {
    it("open admits (and says so); closed answers 503; neither waits past the Redis timeout", async () => {
      const open = await harness.app({ ...harness.redisDown, RATE_LIMIT_FAIL_MODE: "open" });
      const closed = await harness.app({ ...harness.redisDown, RATE_LIMIT_FAIL_MODE: "closed" });
      let started = Date.now();
      const admitted = await open("/api/products?limit=1");
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get("x-ratelimit-bypass")).toBe("redis-unavailable");
      expect(admitted.headers.get("ratelimit-policy")).toMatch(/^"default";q=\d+;w=\d+$/);
      started = Date.now();
      const refused = await closed("/api/products?limit=1");
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: "RATE_LIMIT_UNAVAILABLE" });
    });
  });

  describe("the hot path", () => {
    it("a cached product GET costs one Redis round trip, with and without a session", async () => {
      const sent: RedisCommand["name"][][] = [];
      let recording = false;
      const wrapRedis = (inner: RedisTransport): RedisTransport => ({
        ...inner,
        send: (commands, deadline) => {
          if (recording) sent.push(commands.map((command) => command.name));
          return inner.send(commands, deadline);
        },
      });
      const app = await harness.instance({ ADMIN_TOKEN, METRICS_FLUSH_MS: "60000" }, { wrapRedis });
      const product = await data<{ id: string }>(await app.send("/api/products", json(sample, { authorization: `Bearer ${ADMIN_TOKEN}` })));
      const { token } = await data<{ token: string }>(await app.send("/api/auth/register", json({ email: uniqueEmail(), password: "hot path password" })));
      // Warm up: scripts loaded, metrics flushed, product cached.
      await app.send(`/api/products/${product.id}`);
      await app.send(`/api/products/${product.id}`, { headers: { authorization: `Bearer ${token}` } });

      for (const headers of [{}, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
        sent.length = 0;
        recording = true;
        const response = await app.send(`/api/products/${product.id}`, { headers });
        recording = false;
        expect(response.status).toBe(200);
        expect(response.headers.get("x-cache")).toBe("HIT");
        expect(sent).toHaveLength(1);
        expect(sent[0]!.sort()).toEqual("authorization" in headers ? ["evalsha", "get", "get"] : ["evalsha", "get"]);
      }
    });
  });
}
