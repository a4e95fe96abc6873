/**
 * REDIS_CACHE_URL: cache entries on a Redis of their own (allkeys-lru, a small maxmemory), so a
 * flood of distinct list queries evicts only cache entries — never the sessions and rate-limit
 * windows on the state Redis — and /health plus a start-up warning say when the state Redis
 * could evict keys.
 */
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { data, json, stableWindowSeconds, uniqueEmail } from "../shared/harness";
import { createTestApp } from "../support/node-app";
import { startRedisServer, type RedisServerHandle } from "../support/redis-server";

const ADMIN = { authorization: "Bearer cache-redis-admin" };
const opened: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
});

async function redisServer(...extraArgs: string[]): Promise<{ server: RedisServerHandle; client: IORedis }> {
  const server = await startRedisServer({ extraArgs });
  const client = new IORedis(server.url);
  opened.push({ close: () => server.stop() }, { close: () => client.quit() });
  return { server, client };
}

const infoField = (info: string, field: string) => new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim();

describe("a separate cache Redis (REDIS_CACHE_URL)", () => {
  let state: Awaited<ReturnType<typeof redisServer>>;
  let cache: Awaited<ReturnType<typeof redisServer>>;
  let app: Awaited<ReturnType<typeof createTestApp>>;

  beforeAll(async () => {
    state = await redisServer();
    cache = await redisServer("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru");
    app = await createTestApp({
      REDIS_URL: state.server.url,
      REDIS_CACHE_URL: cache.server.url,
      ADMIN_TOKEN: "cache-redis-admin",
      CACHE_LIST_MAX_ENTRIES: "100000",
      RATE_LIMIT_MAX: "100000",
      RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
    });
    opened.push(app);
  }, 60_000);

  it("a flood of distinct list queries evicts cache entries only: every session and rate-limit window stays", async () => {
    const category = `flood-${crypto.randomUUID().slice(0, 8)}`;
    const description = "A description long enough to make every cached list page weigh tens of kilobytes. ".repeat(60);
    for (let i = 0; i < 10; i++) {
      expect(
        (
          await app.app.request(
            "/api/products",
            json({ name: `Flood Product ${i}`, description, price: 10 + i, stock: 1, category }, ADMIN),
          )
        ).status,
      ).toBe(201);
    }
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++)
      tokens.push(
        (
          await data<{ token: string }>(
            await app.app.request("/api/auth/register", json({ email: uniqueEmail("flood"), password: "flood password" })),
          )
        ).token,
      );
    const remainingOf = async (token: string) =>
      Number(
        (await app.app.request("/api/auth/me", { headers: { authorization: `Bearer ${token}` } })).headers.get("x-ratelimit-remaining"),
      );
    const before = await Promise.all(tokens.map(remainingOf));

    // ~50 KB a page, 150 distinct pages: more than twice the cache Redis's 3 MB.
    for (let page = 1; page <= 150; page++)
      expect((await app.app.request(`/api/products?category=${category}&limit=10&minPrice=${page / 100}`)).status).toBe(200);

    expect(Number(infoField(await cache.client.info("stats"), "evicted_keys"))).toBeGreaterThan(0);
    expect(Number(infoField(await state.client.info("stats"), "evicted_keys"))).toBe(0);
    // Each user's window counted on: the /me reads above and below, none reset by eviction.
    const after = await Promise.all(tokens.map(remainingOf));
    for (const [i, remaining] of after.entries()) expect(remaining).toBe(before[i]! - 1);
    // The cache lives on its own Redis: no cache entry on the state Redis.
    expect(await state.client.keys(`${app.config.REDIS_PREFIX}:cache:*`)).toEqual([]);
    expect((await cache.client.keys(`${app.config.REDIS_PREFIX}:cache:*`)).length).toBeGreaterThan(0);
  }, 60_000);

  it("/health reports both, and that the state Redis does not evict", async () => {
    const health = await data<{ services: { redis: { status: string; evictsKeys: boolean | null; cache?: { status: string } } } }>(
      await app.app.request("/health"),
    );
    expect(health.services.redis).toMatchObject({ status: "up", evictsKeys: false, cache: { status: "up" } });
  });
});

describe("a state Redis that may evict keys", () => {
  it("is named in /health and warned about once at start-up", async () => {
    const { server } = await redisServer("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    let app: Awaited<ReturnType<typeof createTestApp>>;
    try {
      app = await createTestApp({ REDIS_URL: server.url, LOG_LEVEL: "warn" });
      expect(log.mock.calls.map(([line]) => String(line)).join("\n")).toMatch(/may evict keys.*"maxmemoryPolicy":"volatile-lru"/);
    } finally {
      log.mockRestore();
    }
    opened.push(app);
    const health = await data<{ status: string; services: { redis: { evictsKeys: boolean | null } } }>(await app.app.request("/health"));
    expect(health.services.redis.evictsKeys).toBe(true);
  });
});
