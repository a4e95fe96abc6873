import { beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/catalogue/types";
import type { ProductRepository } from "../../src/catalogue/repository";
import { CACHE_SCHEMA } from "../../src/catalogue/types";
import { ops } from "../../src/redis/commands";
import type { RedisTransport } from "../../src/redis/port";
import { data, json, sleep, uniqueEmail, type Harness, type Instance } from "./harness";

const ADMIN_TOKEN = "cache-scenarios-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sample = (overrides: Record<string, unknown> = {}) => ({
  name: "Cached Kettle",
  description: "A kettle that is read far more often than written.",
  price: 29.99,
  stock: 5,
  category: `cache-${crypto.randomUUID().slice(0, 8)}`,
  ...overrides,
});

/**
 * Wraps the product repository: counts loads by id, and can hold a call until the test
 * releases it (to replay races deterministically): a load of a product (`id`) or of a list
 * page (`list:<category>`) after it has read the database, a change (`update:<id>`) after it
 * has committed, a create (`create:<category>`) before it commits.
 */
function instrumentedProducts() {
  const loads = new Map<string, number>();
  const held = new Map<string, { reached: () => void; release: Promise<void> }>();
  const pause = async (label: string) => {
    const hold = held.get(label);
    if (!hold) return;
    held.delete(label);
    hold.reached();
    await hold.release;
  };
  const wrap = (repository: ProductRepository): ProductRepository => ({
    ...repository,
    async findById(id) {
      loads.set(id, (loads.get(id) ?? 0) + 1);
      const product = await repository.findById(id);
      await pause(id);
      return product;
    },
    async list(query) {
      const page = await repository.list(query);
      await pause(`list:${query.category}`);
      return page;
    },
    async update(id, changes) {
      const updated = await repository.update(id, changes);
      await pause(`update:${id}`);
      return updated;
    },
    async create(input) {
      await pause(`create:${input.category}`);
      return repository.create(input);
    },
  });
  /** The next call labelled `label` stops (see above); `arrived` resolves once it got there. */
  const hold = (label: string) => {
    let release!: () => void;
    let reached!: () => void;
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    held.set(label, { reached, release: new Promise<void>((resolve) => (release = resolve)) });
    return { arrived, release: () => release() };
  };
  return { wrap, hold, loads: (id: string) => loads.get(id) ?? 0 };
}

/** A Redis transport that can play dead (failure injection: an instance gone right after its commit). */
function killableRedis() {
  const state = { dead: false };
  const wrap = (inner: RedisTransport): RedisTransport => ({
    ...inner,
    send: (commands, deadline) =>
      state.dead ? Promise.reject(new Error("injected: this instance is gone")) : inner.send(commands, deadline),
  });
  return { state, wrap };
}

/** The caching layer through the front door; the same assertions run on Node and in workerd. */
export function cacheScenarios(harness: Harness) {
  const instrumented = instrumentedProducts();
  let app: Instance;
  beforeAll(async () => {
    app = await harness.instance({ ADMIN_TOKEN }, { wrapProducts: instrumented.wrap });
  });

  const create = async (send = app.send, overrides: Record<string, unknown> = {}) => {
    const response = await send("/api/products", json(sample(overrides), admin));
    expect(response.status).toBe(201);
    return data<Product>(response);
  };
  const evict = (instance: Instance, id: string) => instance.services.redis.run(ops.del(instance.services.keys.product(id)));
  const get = async (id: string, send = app.send) => {
    const response = await send(`/api/products/${id}`);
    return {
      status: response.status,
      cache: response.headers.get("x-cache"),
      body: response.status === 200 ? await data<Product>(response) : undefined,
    };
  };
  const patch = (id: string, changes: Record<string, unknown>, send = app.send) =>
    send(`/api/products/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...admin },
      body: JSON.stringify(changes),
    });

  describe("cache-aside and write-through", () => {
    it("answers MISS, then HIT, with identical bodies", async () => {
      const product = await create();
      await evict(app, product.id);
      const first = await get(product.id);
      const second = await get(product.id);
      expect([first.cache, second.cache]).toEqual(["MISS", "HIT"]);
      expect(second.body).toEqual(first.body);
      expect(first.body).toEqual(product);
    });

    it("serves a product written through on create as a HIT without loading it", async () => {
      const product = await create();
      const read = await get(product.id);
      expect(read.cache).toBe("HIT");
      expect(instrumented.loads(product.id)).toBe(0);
    });

    it("after a 2xx PATCH the very next GET returns the new version", async () => {
      const product = await create();
      await get(product.id);
      expect((await patch(product.id, { stock: 42 })).status).toBe(200);
      const read = await get(product.id);
      expect(read.body).toMatchObject({ stock: 42, version: 2 });
      expect(read.cache).toBe("HIT");
    });

    it("after DELETE the next GET is 404, also served from the tombstone", async () => {
      const product = await create();
      await get(product.id);
      expect((await app.send(`/api/products/${product.id}`, { method: "DELETE", headers: admin })).status).toBe(204);
      const gone = await get(product.id);
      expect(gone.status).toBe(404);
      expect(instrumented.loads(product.id)).toBe(0);
    });

    it("wishlist toggles update the cached product's count and version", async () => {
      const product = await create();
      const { token } = await data<{ token: string }>(
        await app.send("/api/auth/register", json({ email: `w-${crypto.randomUUID()}@example.com`, password: "wishlist password" })),
      );
      await app.send(`/api/products/${product.id}/wishlist`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
      const read = await get(product.id);
      expect(read).toMatchObject({ cache: "HIT", body: { wishlistCount: 1, version: 2 } });
    });

    it("lists: MISS then HIT, and a create shows up in the list at once", async () => {
      const category = `list-${crypto.randomUUID().slice(0, 8)}`;
      const first = await create(app.send, { category });
      const path = `/api/products?category=${category}`;
      const miss = await app.send(path);
      const hit = await app.send(path);
      expect([miss.headers.get("x-cache"), hit.headers.get("x-cache")]).toEqual(["MISS", "HIT"]);
      expect((await data<{ total: number }>(hit)).total).toBe(1);
      const second = await create(app.send, { category });
      const after = await app.send(path);
      expect(after.headers.get("x-cache")).toBe("MISS");
      expect((await data<{ products: Product[] }>(after)).products.map((p) => p.id)).toEqual([second.id, first.id]);
      // The same query written differently is the same cache entry.
      const reordered = await app.send(`/api/products?sort=-createdAt&page=1&category=${category.toUpperCase()}`);
      expect(reordered.headers.get("x-cache")).toBe("HIT");
    });

    it("with Redis unreachable, reads come from the database (BYPASS); strict mode refuses writes (503, nothing committed)", async () => {
      const product = await create();
      const broken = await harness.app({ ...harness.redisDown, ADMIN_TOKEN });
      const read = await broken(`/api/products/${product.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get("x-cache")).toBe("BYPASS");
      expect(await data<Product>(read)).toEqual(product);
      const list = await broken(`/api/products?category=${product.category}`);
      expect(list.headers.get("x-cache")).toBe("BYPASS");
      const refused = await patch(product.id, { stock: 1 }, broken);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toMatchObject({ code: "CACHE_UNAVAILABLE" });
      const created = await broken("/api/products", json(sample(), admin));
      expect(created.status).toBe(503);
      expect(await data<Product>(await broken(`/api/products/${product.id}`))).toEqual(product); // nothing committed
      expect((await get(product.id)).body).toEqual(product);
    });

    it("with Redis unreachable, CACHE_CONSISTENCY=available still takes writes", async () => {
      const product = await create();
      const broken = await harness.app({ ...harness.redisDown, ADMIN_TOKEN, CACHE_CONSISTENCY: "available" });
      expect((await patch(product.id, { stock: 1 }, broken)).status).toBe(200);
      expect((await (await broken(`/api/products/${product.id}`)).json()) as { data: Product }).toMatchObject({
        data: { stock: 1, version: 2 },
      });
    });
  });

  describe("the slow-reader race (versioned fill)", () => {
    it("a reader holding v1 cannot put it back after a writer committed and wrote through v2", async () => {
      const product = await create();
      await evict(app, product.id);
      const held = instrumented.hold(product.id);
      const slowRead = get(product.id);
      await held.arrived; // the reader has v1 from the database and is about to fill it
      expect((await patch(product.id, { stock: 2 })).status).toBe(200);
      expect((await get(product.id)).body?.version).toBe(2);
      held.release();
      const slow = await slowRead;
      expect(slow).toMatchObject({ cache: "MISS", body: { version: 1 } }); // it began before the write
      for (let i = 0; i < 3; i++) expect((await get(product.id)).body).toMatchObject({ version: 2, stock: 2 });
      const raw = await app.services.redis.run(ops.get(app.services.keys.product(product.id)));
      expect(raw).toMatch(/^E\|2\|/);
    });

    it("a reader holding v1 cannot resurrect a product deleted meanwhile (the tombstone wins)", async () => {
      const product = await create();
      await evict(app, product.id);
      const held = instrumented.hold(product.id);
      const slowRead = get(product.id);
      await held.arrived;
      expect((await app.send(`/api/products/${product.id}`, { method: "DELETE", headers: admin })).status).toBe(204);
      held.release();
      expect((await slowRead).body?.version).toBe(1);
      for (let i = 0; i < 3; i++) expect((await get(product.id)).status).toBe(404);
      const raw = await app.services.redis.run(ops.get(app.services.keys.product(product.id)));
      expect(raw).toMatch(/^T\|2\|/);
    });

    it("a load that began before Redis lost its data cannot fill afterwards (the cache epoch moved)", async () => {
      const product = await create();
      await evict(app, product.id);
      const held = instrumented.hold(product.id);
      const slowRead = get(product.id);
      await held.arrived; // the reader has v1 from the database and is about to fill it
      expect((await patch(product.id, { stock: 3 })).status).toBe(200);
      // Redis loses its data (a restart without persistence, a flush, a failover to an empty replica): the write-through of v2 is gone.
      const { keys, redis } = app.services;
      await redis.run(ops.del(keys.product(product.id), keys.cacheEpoch(keys.product(product.id))));
      held.release();
      expect(await slowRead).toMatchObject({ cache: "MISS", body: { version: 1 } });
      expect(await redis.run(ops.get(keys.product(product.id)))).toBeNull(); // the fill was refused
      for (let i = 0; i < 3; i++) expect((await get(product.id)).body).toMatchObject({ version: 2, stock: 3 });
    });
  });

  describe("writers racing writers and readers", () => {
    it("a writer past its deadline (an instance that died) no longer keeps the product out of the cache", async () => {
      const product = await create();
      const { keys, redis } = app.services;
      const past = Date.now() - 1_000;
      // A marker whose first writer died long ago while others kept renewing it (PX far ahead).
      await redis.run(ops.set(keys.product(product.id), `P|0|${past}|dead-writer@${past}|`, { pxMs: 60_000 }));
      expect((await get(product.id)).cache).toBe("MISS");
      expect((await patch(product.id, { stock: 7 })).status).toBe(200);
      // The dead writer may have committed something newer than this write: a floor, filled by the next load.
      expect(await redis.run(ops.get(keys.product(product.id)))).toMatch(/^F\|2\|/);
      expect(await get(product.id)).toMatchObject({ cache: "MISS", body: { version: 2, stock: 7 } });
      expect(await get(product.id)).toMatchObject({ cache: "HIT", body: { version: 2, stock: 7 } });
    });

    it("an older writer's write-through cannot replace the marker of a newer writer whose write-through was lost", async () => {
      const killable = killableRedis();
      const lossy = await harness.instance({ ADMIN_TOKEN }, { wrapProducts: instrumented.wrap, wrapRedis: killable.wrap });
      const product = await create();
      const older = instrumented.hold(`update:${product.id}`);
      const olderWrite = patch(product.id, { stock: 10 }); // commits v2, then waits before its write-through
      await older.arrived;
      const newer = instrumented.hold(`update:${product.id}`);
      const newerWrite = patch(product.id, { stock: 20 }, lossy.send); // commits v3 on another instance...
      await newer.arrived;
      killable.state.dead = true; // ...which is gone before its write-through
      newer.release();
      // Committed but not confirmed: strict mode does not acknowledge it.
      const refused = await newerWrite;
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: "WRITE_NOT_CONFIRMED" });
      older.release();
      expect((await olderWrite).status).toBe(200);
      // Every instance reads v3: the newer writer's marker still stands, so readers go to the database.
      for (let i = 0; i < 3; i++) expect((await get(product.id)).body).toMatchObject({ version: 3, stock: 20 });
    });

    it("a write whose commit fails takes its marker off at once: the cached value is still served", async () => {
      const database = { down: false };
      const flaky = await harness.instance(
        { ADMIN_TOKEN },
        {
          wrapProducts: (repository) => ({
            ...repository,
            findById: async (id) => (database.down ? Promise.reject(new Error("injected: database down")) : repository.findById(id)),
            update: async (id, changes) =>
              database.down ? Promise.reject(new Error("injected: database down")) : repository.update(id, changes),
          }),
        },
      );
      const product = await create(flaky.send);
      database.down = true;
      expect((await patch(product.id, { stock: 1 }, flaky.send)).status).toBe(503);
      const read = await get(product.id, flaky.send);
      expect(read).toMatchObject({ status: 200, cache: "HIT", body: product });
    });

    it("a list read that starts after a write never shares a load that began before it", async () => {
      const category = `flight-${crypto.randomUUID().slice(0, 8)}`;
      await create(app.send, { category });
      const path = `/api/products?category=${category}`;
      const early = instrumented.hold(`list:${category}`);
      const earlyRead = app.send(path); // has read the page with one product, not yet answered
      await early.arrived;
      const second = await create(app.send, { category });
      const own = instrumented.hold(`list:${category}`);
      const lateRead = app.send(path);
      // The late reader loads for itself (bounded wait, so a reader that joined the early load fails here instead of hanging).
      const loadedItself = await Promise.race([own.arrived.then(() => true), sleep(10_000).then(() => false)]);
      early.release();
      own.release();
      expect(loadedItself).toBe(true);
      expect((await data<{ total: number }>(await earlyRead)).total).toBe(1);
      const late = await data<{ products: Product[]; total: number }>(await lateRead);
      expect(late.total).toBe(2);
      expect(late.products.map((p) => p.id)).toContain(second.id);
    });

    it("a writer that dies right after its commit leaves no list stale for more than seconds", async () => {
      const killable = killableRedis();
      const writer = await harness.instance({ ADMIN_TOKEN }, { wrapProducts: instrumented.wrap, wrapRedis: killable.wrap });
      const category = `lost-${crypto.randomUUID().slice(0, 8)}`;
      await create(app.send, { category });
      const path = `/api/products?category=${category}`;
      expect((await app.send(path)).headers.get("x-cache")).toBe("MISS");
      expect((await app.send(path)).headers.get("x-cache")).toBe("HIT");

      const commit = instrumented.hold(`create:${category}`);
      const written = writer.send("/api/products", json(sample({ category }), admin));
      await commit.arrived; // the write has begun (step 1), its commit has not happened yet
      const during = await app.send(path); // the page from before the commit, filled in the write window
      expect(during.headers.get("x-cache")).toBe("MISS");
      expect((await data<{ total: number }>(during)).total).toBe(1);
      killable.state.dead = true; // the writer commits and is gone before its write-through
      commit.release();
      expect((await written).status).toBe(503); // committed, never confirmed (strict)

      await sleep(2_500); // longer than a fill made in the write window lives
      const after = await app.send(path);
      expect((await data<{ total: number }>(after)).total).toBe(2);
    });

    it("entries of another deploy's shape (an older format, another schema number) are misses, not served", async () => {
      const product = await create();
      const fresh = Date.now() + 600_000;
      const oldShape = JSON.stringify({ id: product.id, title: "a shape this deploy does not know" });
      for (const raw of [`E|${product.version}|${fresh}|${oldShape}`, `E|${product.version}|${fresh}|${CACHE_SCHEMA + 1}|${oldShape}`]) {
        await app.services.redis.run(ops.set(app.services.keys.product(product.id), raw, { pxMs: 600_000 }));
        const read = await get(product.id);
        expect(read).toMatchObject({ status: 200, cache: "MISS", body: product });
        expect((await get(product.id)).cache).toBe("HIT");
      }
    });
  });

  describe("a lost list generation", () => {
    it("a list page filled under a generation Redis has since lost is never current again", async () => {
      const category = `lostgen-${crypto.randomUUID().slice(0, 8)}`;
      await create(app.send, { category });
      const path = `/api/products?category=${category}`;
      for (let i = 0; i < 3; i++) await create(app.send, { category: `${category}-other` }); // move the generation on
      expect((await app.send(path)).headers.get("x-cache")).toBe("MISS");
      expect((await app.send(path)).headers.get("x-cache")).toBe("HIT");
      // The generation alone is lost (evicted from a cache Redis, or its Cluster master lost its data).
      await app.services.cacheRedis.run(ops.del(app.services.keys.listGeneration));
      await create(app.send, { category });
      const after = await app.send(path);
      expect(after.headers.get("x-cache")).toBe("MISS");
      expect((await data<{ total: number }>(after)).total).toBe(2);
    });
  });

  describe("a bounded list cache", () => {
    it("fills at most CACHE_LIST_MAX_ENTRIES distinct list pages per list lifetime, across instances; past it pages are served uncached", async () => {
      const prefix = `budget-${crypto.randomUUID().slice(0, 8)}`;
      const [one, other] = [
        await harness.app({ ADMIN_TOKEN, REDIS_PREFIX: prefix, CACHE_LIST_MAX_ENTRIES: "3" }),
        await harness.app({ ADMIN_TOKEN, REDIS_PREFIX: prefix, CACHE_LIST_MAX_ENTRIES: "3" }),
      ];
      const category = `budget-${crypto.randomUUID().slice(0, 8)}`;
      await create(one, { category });
      const page = (n: number) => `/api/products?category=${category}&minPrice=${n / 100}`;
      const cacheOf = async (send: typeof one, n: number) => (await send(page(n))).headers.get("x-cache");
      // Three distinct queries (on two instances) fill; the next ones are served from the database and not kept.
      expect([
        await cacheOf(one, 1),
        await cacheOf(other, 2),
        await cacheOf(one, 3),
        await cacheOf(other, 4),
        await cacheOf(one, 5),
      ]).toEqual(["MISS", "MISS", "MISS", "MISS", "MISS"]);
      expect([await cacheOf(other, 1), await cacheOf(one, 2), await cacheOf(other, 3)]).toEqual(["HIT", "HIT", "HIT"]);
      expect([await cacheOf(one, 4), await cacheOf(other, 5)]).toEqual(["MISS", "MISS"]);
      const body = await data<{ products: Product[] }>(await other(page(5)));
      expect(body.products).toHaveLength(1);
    });
  });

  describe("wishlist toggles and lists", () => {
    it("a toggle does not invalidate list pages (they may show its count a list lifetime old); the product by id is current", async () => {
      const category = `wish-${crypto.randomUUID().slice(0, 8)}`;
      const product = await create(app.send, { category });
      const path = `/api/products?category=${category}`;
      expect((await app.send(path)).headers.get("x-cache")).toBe("MISS");
      const { token } = await data<{ token: string }>(
        await app.send("/api/auth/register", json({ email: uniqueEmail("wish"), password: "wishlist password" })),
      );
      const toggled = await app.send(`/api/products/${product.id}/wishlist`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await data(toggled)).toMatchObject({ wishlisted: true, wishlistCount: 1 });
      const listed = await app.send(path);
      expect(listed.headers.get("x-cache")).toBe("HIT");
      expect((await data<{ products: Product[] }>(listed)).products[0]).toMatchObject({ id: product.id, wishlistCount: 0 });
      expect((await get(product.id)).body).toMatchObject({ wishlistCount: 1, version: 2 });
      // A catalogue change still reaches every list at once.
      expect((await patch(product.id, { stock: 9 })).status).toBe(200);
      const changed = await app.send(path);
      expect(changed.headers.get("x-cache")).toBe("MISS");
      expect((await data<{ products: Product[] }>(changed)).products[0]).toMatchObject({ stock: 9, wishlistCount: 1, version: 3 });
    });
  });

  describe("stampede protection", () => {
    it("200 concurrent GETs of a cold product cost one database load and one MISS", async () => {
      const product = await create();
      await evict(app, product.id);
      const results = await Promise.all(Array.from({ length: 200 }, () => get(product.id)));
      expect(instrumented.loads(product.id)).toBe(1);
      expect(results.filter((r) => r.cache === "MISS")).toHaveLength(1);
      expect(results.every((r) => r.status === 200 && r.body?.id === product.id)).toBe(true);
    }, 30_000);

    it("two app instances sharing Redis still load once", async () => {
      const other = await harness.instance({ ADMIN_TOKEN }, { wrapProducts: instrumented.wrap });
      const product = await create();
      await evict(app, product.id);
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => get(product.id, i % 2 === 0 ? app.send : other.send)));
      expect(instrumented.loads(product.id)).toBe(1);
      expect(results.filter((r) => r.cache === "MISS")).toHaveLength(1);
      expect(results.every((r) => r.status === 200)).toBe(true);
    }, 30_000);
  });

  describe("stale-while-revalidate", () => {
    it("past fresh time, STALE responses trigger exactly one refresh; then HIT with the new value", async () => {
      const short = await harness.instance({ ADMIN_TOKEN, CACHE_TTL_PRODUCT_S: "1" }, { wrapProducts: instrumented.wrap });
      const product = await create(short.send);
      await sleep(1_150);
      // Changed behind the cache's back, so the refresh has something new to find.
      const repository = (await import("../../src/db/products")).createProductRepository(short.services.db);
      await repository.update(product.id, { stock: 77 });

      // On a self-hosted server the refresh's load waits until all five were answered, however the
      // machine schedules them (in workerd each response already waits for its background work).
      const refresh = harness.runtime !== "workerd" ? instrumented.hold(product.id) : undefined;
      const stale = await Promise.all(Array.from({ length: 5 }, () => get(product.id, short.send)));
      refresh?.release();
      expect(stale.map((r) => r.cache)).toEqual(Array(5).fill("STALE"));
      expect(stale.every((r) => r.body?.stock === 5)).toBe(true);

      let fresh = await get(product.id, short.send);
      for (let i = 0; i < 50 && fresh.cache !== "HIT"; i++) {
        await sleep(20);
        fresh = await get(product.id, short.send);
      }
      expect(fresh).toMatchObject({ cache: "HIT", body: { stock: 77, version: 2 } });
      expect(instrumented.loads(product.id)).toBe(1);
    }, 20_000);
  });

  describe("metrics across instances", () => {
    it("sums the traffic of two instances in /api/cache/metrics", async () => {
      const environment = { ADMIN_TOKEN, METRICS_FLUSH_MS: "0", REDIS_PREFIX: `metrics-${crypto.randomUUID().slice(0, 8)}` };
      const a = await harness.instance(environment);
      const b = await harness.instance(environment);
      const product = await create(a.send);
      await evict(a, product.id);
      expect((await get(product.id, a.send)).cache).toBe("MISS");
      await get(product.id, a.send);
      await get(product.id, a.send);
      for (let i = 0; i < 3; i++) expect((await get(product.id, b.send)).cache).toBe("HIT");
      expect((await a.send(`/api/products?category=${product.category}`)).headers.get("x-cache")).toBe("MISS");
      expect((await b.send(`/api/products?category=${product.category}`)).headers.get("x-cache")).toBe("HIT");

      const expected = { hits: 6, misses: 2, stale: 0, coalesced: 0, errors: 0, hitRate: 0.75 };
      let cache: Record<string, number> = {};
      for (let i = 0; i < 50; i++) {
        const response = await a.send("/api/cache/metrics", { headers: admin });
        expect(response.status).toBe(200);
        const body = await data<{ cache: Record<string, number>; redis: { adapter: string; status: string } }>(response);
        cache = body.cache;
        expect(body.redis.status).toBe("up");
        if (cache.hits === expected.hits && cache.misses === expected.misses) break;
        await sleep(20);
      }
      expect(cache).toEqual(expected);
    });

    it("is for admins only", async () => {
      expect((await app.send("/api/cache/metrics")).status).toBe(401);
      expect((await app.send("/metrics")).status).toBe(401);
    });

    it("serves the same counters at /metrics in Prometheus's text format", async () => {
      const instance = await harness.instance({
        ADMIN_TOKEN,
        METRICS_FLUSH_MS: "0",
        REDIS_PREFIX: `prom-${crypto.randomUUID().slice(0, 8)}`,
      });
      const product = await create(instance.send);
      await evict(instance, product.id);
      for (let i = 0; i < 3; i++) await get(product.id, instance.send);
      const totals = await data<{ cache: Record<string, number> }>(await instance.send("/api/cache/metrics", { headers: admin }));
      const scrape = await instance.send("/metrics", { headers: admin });
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await scrape.text();
      expect(text).toContain("# TYPE jollyjet_cache_lookups_total counter");
      expect(text).toContain(`jollyjet_cache_lookups_total{outcome="hit"} ${totals.cache.hits}`);
      expect(text).toContain(`jollyjet_cache_lookups_total{outcome="miss"} ${totals.cache.misses}`);
      expect(text).toMatch(/^jollyjet_redis_up\{adapter="\w+"\} 1$/m);
      expect(totals.cache).toMatchObject({ hits: 2, misses: 1 });
    });
  });
}
