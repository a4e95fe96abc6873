import { describe, expect, it } from "vitest";
import type { RedisCommand } from "../../src/redis/commands";
import type { RedisTransport } from "../../src/redis/port";
import { data, json, sleep, stableWindowSeconds, uniqueEmail, type Harness } from "./harness";

const ADMIN_TOKEN = "rate-limit-scenarios-admin-token";
const address = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 6)}`;
const sample = { name: "Limited Lamp", description: "A lamp people keep asking about.", price: 12.5, stock: 3, category: "ratelimit" };
const prefix = () => `rl-${crypto.randomUUID().slice(0, 8)}`;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const randomText = (length: number) => Array.from({ length }, () => BASE64URL[Math.floor(Math.random() * 64)]).join("");
/** A token of our shape (user id, 43 random characters, 22 of MAC) that we never issued. */
const madeUpToken = (userId: string) => `${userId}.${randomText(43)}.${randomText(22)}`;

/**
 * Rate limits through the front door; the same assertions run on Node and in workerd. Every
 * app has its own key prefix and every test its own clients; exact counts use a window no
 * boundary falls within (stableWindowSeconds), since a burst across one is admitted more.
 */
export function rateLimitScenarios(harness: Harness) {
  describe("the default policy", () => {
    it("admits exactly RATE_LIMIT_MAX of 60 concurrent requests from one client, with all headers", async () => {
      const window = stableWindowSeconds();
      const send = await harness.app({
        ...harness.clientAddressing,
        RATE_LIMIT_MAX: "20",
        RATE_LIMIT_WINDOW_S: String(window),
        REDIS_PREFIX: prefix(),
      });
      const client = harness.from(address());
      const responses = await Promise.all(Array.from({ length: 60 }, () => send("/api/products?limit=1", { headers: client })));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(40);

      for (const response of responses) {
        expect(response.headers.get("ratelimit-policy")).toBe(`"default";q=20;w=${window}`);
        expect(response.headers.get("ratelimit")).toMatch(/^"default";r=\d+;t=\d+$/);
        expect(response.headers.get("x-ratelimit-limit")).toBe("20");
        expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      }
      const blocked = responses.find((r) => r.status === 429)!;
      expect(blocked.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await blocked.json()).toMatchObject({ status: "error", code: "RATE_LIMITED" });
      const remaining = responses
        .filter((r) => r.status === 200)
        .map((r) => Number(r.headers.get("x-ratelimit-remaining")))
        .sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => i));

      // Another client is unaffected.
      expect((await send("/api/products?limit=1", { headers: harness.from(address()) })).status).toBe(200);
    });

    it("admits a limited client again once the window has passed", async () => {
      const send = await harness.app({
        ...harness.clientAddressing,
        RATE_LIMIT_MAX: "2",
        RATE_LIMIT_WINDOW_S: "1",
        REDIS_PREFIX: prefix(),
      });
      const client = harness.from(address());
      // Where the 1 s boundaries fall is up to the clock, so no count is asserted: only that it limits.
      let status = 200;
      for (let sent = 0; sent < 50 && status !== 429; sent++) status = (await send("/api/products?limit=1", { headers: client })).status;
      expect(status).toBe(429);
      // Two full windows later both fixed windows the sliding window weighs are empty.
      await sleep(2_300);
      expect((await send("/api/products?limit=1", { headers: client })).status).toBe(200);
    });

    it("limits a signed-in caller per user, whatever address they come from", async () => {
      const send = await harness.app({
        ...harness.clientAddressing,
        RATE_LIMIT_MAX: "3",
        RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
        REDIS_PREFIX: prefix(),
      });
      const { token } = await data<{ token: string }>(
        await send("/api/auth/register", json({ email: uniqueEmail(), password: "per user password" }, harness.from(address()))),
      );
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await send("/api/auth/me", { headers: { authorization: `Bearer ${token}`, ...harness.from(address()) } })).status);
      // Registering used one of the address's requests, not the user's; the user has 3.
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  });

  describe("identities the limiter trusts", () => {
    it("a made-up token neither gets a fresh budget per request nor spends the budget of the user it names", async () => {
      const send = await harness.app({
        ...harness.clientAddressing,
        RATE_LIMIT_MAX: "3",
        RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
        REDIS_PREFIX: prefix(),
      });
      const { user, token } = await data<{ user: { id: string }; token: string }>(
        await send("/api/auth/register", json({ email: uniqueEmail(), password: "victim password" }, harness.from(address()))),
      );
      const attacker = harness.from(address());
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        // Alternately a fresh user id each time, and the victim's id.
        const forged = madeUpToken(i % 2 === 0 ? crypto.randomUUID() : user.id);
        statuses.push((await send("/api/products?limit=1", { headers: { ...attacker, authorization: `Bearer ${forged}` } })).status);
      }
      // Limited as the address it comes from.
      expect(statuses).toEqual([200, 200, 200, 429]);
      // The victim's budget is whole.
      const own = await send("/api/auth/me", { headers: { ...harness.from(address()), authorization: `Bearer ${token}` } });
      expect(own.status).toBe(200);
      expect(own.headers.get("x-ratelimit-remaining")).toBe("2");
    });

    it.each([
      ["the key the first instance put in Redis", {}],
      ["SESSION_SECRET", { SESSION_SECRET: "a session secret of more than 32 characters" }],
    ])("instances verify each other's tokens with %s", async (_, secret: Record<string, string>) => {
      const environment = {
        ...harness.clientAddressing,
        ...secret,
        RATE_LIMIT_MAX: "3",
        RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
        REDIS_PREFIX: prefix(),
      };
      const issuer = await harness.app(environment);
      const other = await harness.app(environment);
      const { token } = await data<{ token: string }>(
        await issuer("/api/auth/register", json({ email: uniqueEmail(), password: "shared key password" }, harness.from(address()))),
      );
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await other("/api/auth/me", { headers: { authorization: `Bearer ${token}`, ...harness.from(address()) } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]); // per user, though from four addresses
    });
  });

  describe("the auth policy", () => {
    const authLimits = (window: number) => ({ RATE_LIMIT_AUTH_MAX: "5", RATE_LIMIT_AUTH_WINDOW_S: String(window) });

    it("blocks the 6th login attempt from one client in the window", async () => {
      const send = await harness.app({ ...harness.clientAddressing, ...authLimits(stableWindowSeconds()), REDIS_PREFIX: prefix() });
      const client = harness.from(address());
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await send("/api/auth/login", json({ email: uniqueEmail(), password: "wrong password" }, client))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });

    it("does not count requests refused before any credentials are checked", async () => {
      const send = await harness.app({ ...harness.clientAddressing, ...authLimits(stableWindowSeconds()), REDIS_PREFIX: prefix() });
      const client = harness.from(address());
      const email = uniqueEmail("typo");
      const refused = [];
      for (let i = 0; i < 8; i++) refused.push((await send("/api/auth/login", json({ email, password: "short" }, client))).status);
      refused.push(
        (await send("/api/auth/login", { method: "POST", headers: { ...client, "content-type": "text/plain" }, body: "hello" })).status,
      );
      expect(refused).toEqual([422, 422, 422, 422, 422, 422, 422, 422, 415]);
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await send("/api/auth/login", json({ email, password: "wrong password" }, client))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });

    it("limits attempts on one account across addresses (auth-email), but strangers' failures never lock the owner out of their own address", async () => {
      const window = stableWindowSeconds();
      const send = await harness.app({
        ...harness.clientAddressing,
        ...authLimits(window),
        RATE_LIMIT_AUTH_EMAIL_MAX: "5",
        REDIS_PREFIX: prefix(),
      });
      const email = uniqueEmail("target");
      const owner = harness.from(address());
      expect((await send("/api/auth/register", json({ email, password: "the owner's password" }, owner))).status).toBe(201);
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await send("/api/auth/login", json({ email, password: `guess number ${i}` }, harness.from(address())))).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const blocked = await send(
        "/api/auth/login",
        json({ email: email.toUpperCase(), password: "again and again" }, harness.from(address())),
      );
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get("ratelimit-policy")).toContain(`"auth-email";q=5;w=${window}`);
      // The owner, from the address they registered (signed in) from, is not refused.
      const own = await send("/api/auth/login", json({ email, password: "the owner's password" }, owner));
      expect(own.status).toBe(200);
      expect(own.headers.get("ratelimit-policy")).not.toContain("auth-email");
    });
  });

  describe("fail modes when Redis is down", () => {
    it("open admits (and says so); closed answers 503; neither waits past the Redis timeout", async () => {
      const open = await harness.app({ ...harness.redisDown, RATE_LIMIT_FAIL_MODE: "open", REDIS_PREFIX: prefix() });
      const closed = await harness.app({ ...harness.redisDown, RATE_LIMIT_FAIL_MODE: "closed", REDIS_PREFIX: prefix() });
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

    it("the auth policy fails closed unless RATE_LIMIT_AUTH_FAIL_MODE=open, whatever the default policy does", async () => {
      const guessing = json({ email: uniqueEmail(), password: "guessing during an outage" });
      const defaultOpen = await harness.app({ ...harness.redisDown, RATE_LIMIT_FAIL_MODE: "open", REDIS_PREFIX: prefix() });
      const refused = await defaultOpen("/api/auth/login", guessing);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: "RATE_LIMIT_UNAVAILABLE" });

      const bothOpen = await harness.app({
        ...harness.redisDown,
        RATE_LIMIT_FAIL_MODE: "open",
        RATE_LIMIT_AUTH_FAIL_MODE: "open",
        REDIS_PREFIX: prefix(),
      });
      const checked = await bothOpen("/api/auth/login", guessing);
      expect(checked.status).toBe(401); // admitted: the password was checked (and was wrong)
      expect(checked.headers.get("x-ratelimit-bypass")).toBe("redis-unavailable");
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
      const app = await harness.instance(
        { ...harness.clientAddressing, ADMIN_TOKEN, METRICS_FLUSH_MS: "60000", REDIS_PREFIX: prefix() },
        { wrapRedis },
      );
      const client = harness.from(address());
      const product = await data<{ id: string }>(
        await app.send("/api/products", json(sample, { ...client, authorization: `Bearer ${ADMIN_TOKEN}` })),
      );
      const { token } = await data<{ token: string }>(
        await app.send("/api/auth/register", json({ email: uniqueEmail(), password: "hot path password" }, client)),
      );
      const signedIn = { ...client, authorization: `Bearer ${token}` };
      // Warm up: scripts loaded, metrics flushed, product cached.
      await app.send(`/api/products/${product.id}`, { headers: client });
      await app.send(`/api/products/${product.id}`, { headers: signedIn });

      for (const headers of [client, signedIn]) {
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
