import { beforeAll, expect, it } from "vitest";
import type { ConsistencyReport } from "../../src/catalogue/consistency";
import { encodeEntry } from "../../src/cache/entry";
import { CACHE_SCHEMA, type Product } from "../../src/catalogue/types";
import { createProductRepository } from "../../src/db/products";
import { ops } from "../../src/redis/commands";
import { data, json, uniqueEmail, type Harness, type Instance } from "./harness";

const ADMIN_TOKEN = "consistency-scenarios-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sample = (name: string) => ({
  name,
  description: "A product the consistency run will look at.",
  price: 9.99,
  stock: 4,
  category: "consistency",
});

type Report = ConsistencyReport;

/** Consistency runs and cache operations through the front door; the same assertions run on Node and in workerd. */
export function consistencyScenarios(harness: Harness) {
  let app: Instance;
  beforeAll(async () => {
    // A namespace of its own: the run scans every cached product under the prefix.
    app = await harness.instance({ ADMIN_TOKEN, REDIS_PREFIX: `cons-${crypto.randomUUID().slice(0, 8)}` });
  });

  const create = async (name: string) => data<Product>(await app.send("/api/products", json(sample(name), admin)));
  const run = () => app.send("/api/cache/consistency/run", { method: "POST", headers: admin });
  const setRaw = (id: string, value: string) => app.services.redis.run(ops.set(app.services.keys.product(id), value, { pxMs: 600_000 }));

  it("finds and repairs injected drift: stale 2, orphaned 1, corrupt 1; the next run scores 100", async () => {
    const [staleInCache, deleted, corrupt, changedBehind, untouched] = await Promise.all(
      ["Stale", "Deleted", "Corrupt", "Behind", "Fine"].map((n) => create(`${n} Product`)),
    );
    // 1. The cache holds an older version than the database.
    const patched = await data<Product>(
      await app.send(`/api/products/${staleInCache!.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ stock: 40 }),
      }),
    );
    await setRaw(
      staleInCache!.id,
      encodeEntry({ kind: "entry", version: 1, freshUntil: Date.now() + 600_000, schema: CACHE_SCHEMA, value: staleInCache }),
    );
    // 2. An entry for a product that no longer exists (its tombstone overwritten).
    expect((await app.send(`/api/products/${deleted!.id}`, { method: "DELETE", headers: admin })).status).toBe(204);
    await setRaw(
      deleted!.id,
      encodeEntry({ kind: "entry", version: 1, freshUntil: Date.now() + 600_000, schema: CACHE_SCHEMA, value: deleted }),
    );
    // 3. An unreadable value.
    await setRaw(corrupt!.id, "{not an entry");
    // 4. A row changed directly in the database, behind the cache.
    const changed = await createProductRepository(app.services.db).update(changedBehind!.id, { price: 123.45 });

    const response = await run();
    expect(response.status).toBe(200);
    const report = await data<Report>(response);
    expect(report).toMatchObject({
      trigger: "manual",
      scanned: 5,
      consistent: 1,
      stale: 2,
      orphaned: 1,
      corrupt: 1,
      repaired: 4,
      errors: 0,
      complete: true,
    });
    expect(report.score).toBe(20);

    const again = await data<Report>(await run());
    expect(again).toMatchObject({ stale: 0, orphaned: 0, corrupt: 0, score: 100 });

    // The API now serves the database's values.
    expect(await data<Product>(await app.send(`/api/products/${staleInCache!.id}`))).toEqual(patched);
    expect((await app.send(`/api/products/${deleted!.id}`)).status).toBe(404);
    expect((await data<Product>(await app.send(`/api/products/${changedBehind!.id}`))).price).toBe(changed!.price);
    expect(await data<Product>(await app.send(`/api/products/${corrupt!.id}`))).toEqual(corrupt);
    expect(await data<Product>(await app.send(`/api/products/${untouched!.id}`))).toEqual(untouched);

    const reports = await data<{ latest: Report; history: Report[] }>(await app.send("/api/cache/consistency", { headers: admin }));
    expect(reports.latest).toEqual(reports.history[0]);
    expect(reports.history[1]).toMatchObject({ stale: 2, orphaned: 1, corrupt: 1 });
    const metrics = await data<{ consistency: { lastRunAt: string; lastScore: number } }>(
      await app.send("/api/cache/metrics", { headers: admin }),
    );
    expect(metrics.consistency.lastScore).toBe(100);
    expect(Date.parse(metrics.consistency.lastRunAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("compares cached lists with a fresh query and drops a drifted one", async () => {
    const category = `cons-list-${crypto.randomUUID().slice(0, 8)}`;
    const product = await data<Product>(await app.send("/api/products", json({ ...sample("Listed Product"), category }, admin)));
    const path = `/api/products?category=${category}`;
    expect((await app.send(path)).headers.get("x-cache")).toBe("MISS");
    await createProductRepository(app.services.db).update(product.id, { name: "Renamed Behind The Cache" });
    const report = await data<Report & { listsChecked: number }>(await run());
    expect(report.listsChecked).toBeGreaterThanOrEqual(1);
    expect(report.stale).toBeGreaterThanOrEqual(2); // the product entry and the list page
    const listed = await app.send(path);
    expect(listed.headers.get("x-cache")).toBe("MISS");
    expect((await data<{ products: Product[] }>(listed)).products[0]!.name).toBe("Renamed Behind The Cache");
  });

  it("repairs a cache ahead of the database (a lost write, drift): entries, tombstones and floors above the row; never 100 while one stays", async () => {
    const own = await harness.instance({ ADMIN_TOKEN, REDIS_PREFIX: `cons-ahead-${crypto.randomUUID().slice(0, 8)}` });
    const make = async (name: string) => data<Product>(await own.send("/api/products", json(sample(name), admin)));
    const [madeUp, buried, floored, fine] = await Promise.all(["Made Up", "Buried", "Floored", "Fine"].map((n) => make(`${n} Product`)));
    const fresh = Date.now() + 600_000;
    const set = (id: string, raw: string) => own.services.redis.run(ops.set(own.services.keys.product(id), raw, { pxMs: 600_000 }));
    // An entry 100 versions ahead with a payload the database never had; a tombstone one above a
    // live product (it would be 404 everywhere); a floor above the row (no read could ever fill).
    await set(
      madeUp!.id,
      encodeEntry({
        kind: "entry",
        version: madeUp!.version + 100,
        freshUntil: fresh,
        schema: CACHE_SCHEMA,
        value: { ...madeUp, name: "Never Written", version: madeUp!.version + 100 },
      }),
    );
    await set(buried!.id, `T|${buried!.version + 1}|${fresh}|`);
    await set(floored!.id, `F|${floored!.version + 5}|0|`);
    expect((await own.send(`/api/products/${buried!.id}`)).status).toBe(404);

    const report = await data<Report>(await own.send("/api/cache/consistency/run", { method: "POST", headers: admin }));
    expect(report).toMatchObject({ scanned: 4, consistent: 1, ahead: 3, stale: 0, repaired: 3 });
    expect(report.score).toBe(25);
    const again = await data<Report>(await own.send("/api/cache/consistency/run", { method: "POST", headers: admin }));
    expect(again).toMatchObject({ ahead: 0, stale: 0, score: 100 });
    for (const product of [madeUp!, buried!, floored!, fine!]) {
      const read = await own.send(`/api/products/${product.id}`);
      expect(read.headers.get("x-cache")).toBe("HIT");
      expect(await data<Product>(read)).toEqual(product);
    }
  });

  it("a list page showing a wishlist count a toggle moved since is consistent (lists promise every other field)", async () => {
    const own = await harness.instance({ ADMIN_TOKEN, REDIS_PREFIX: `cons-wish-${crypto.randomUUID().slice(0, 8)}` });
    const category = `cons-wish-${crypto.randomUUID().slice(0, 8)}`;
    const product = await data<Product>(await own.send("/api/products", json({ ...sample("Wished Product"), category }, admin)));
    expect((await own.send(`/api/products?category=${category}`)).headers.get("x-cache")).toBe("MISS");
    const { token } = await data<{ token: string }>(
      await own.send("/api/auth/register", json({ email: uniqueEmail("cons-wish"), password: "wishlist password" })),
    );
    expect(
      (await own.send(`/api/products/${product.id}/wishlist`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    const report = await data<Report & { listsChecked: number }>(
      await own.send("/api/cache/consistency/run", { method: "POST", headers: admin }),
    );
    expect(report).toMatchObject({ listsChecked: 1, stale: 0, score: 100 });
  });

  it("reads cached lists in round trips bounded by bytes, not a whole SCAN page at once", async () => {
    let largest = 0;
    const own = await harness.instance(
      { ADMIN_TOKEN, REDIS_PREFIX: `cons-lists-${crypto.randomUUID().slice(0, 8)}`, CONSISTENCY_LIST_SAMPLE: "1000" },
      {
        wrapRedis: (inner) => ({
          ...inner,
          send: async (commands, deadline, sync) => {
            const replies = await inner.send(commands, deadline, sync);
            if (commands.some((command) => command.name === "mget")) largest = Math.max(largest, JSON.stringify(replies).length);
            return replies;
          },
        }),
      },
    );
    const category = `cons-big-${crypto.randomUUID().slice(0, 8)}`;
    const description = "A long description that makes every cached list page weigh tens of kilobytes. ".repeat(60);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        own.send("/api/products", json({ ...sample(`Heavy Product ${i}`), description, category }, admin)),
      ),
    );
    // 30 distinct list pages of ~50 KB each: 1.5 MB in all.
    for (let page = 1; page <= 30; page++)
      expect((await own.send(`/api/products?category=${category}&limit=10&minPrice=${page / 100}`)).status).toBe(200);
    largest = 0;
    const report = await data<Report & { listsChecked: number }>(
      await own.send("/api/cache/consistency/run", { method: "POST", headers: admin }),
    );
    expect(report.listsChecked).toBe(30);
    expect(report.stale).toBe(0);
    expect(largest).toBeGreaterThan(40_000);
    expect(largest).toBeLessThan(400_000); // 256 KB a round trip, plus one list's bytes and the JSON wrapping
  });

  it("counts an entry of another deploy's schema as stale and replaces it with the row", async () => {
    const own = await harness.instance({ ADMIN_TOKEN, REDIS_PREFIX: `cons-schema-${crypto.randomUUID().slice(0, 8)}` });
    const product = await data<Product>(await own.send("/api/products", json(sample("Reshaped Product"), admin)));
    const otherShape = `E|${product.version}|${Date.now() + 600_000}|${CACHE_SCHEMA + 1}|${JSON.stringify({ id: product.id, title: "other shape" })}`;
    await own.services.redis.run(ops.set(own.services.keys.product(product.id), otherShape, { pxMs: 600_000 }));
    const report = await data<Report>(await own.send("/api/cache/consistency/run", { method: "POST", headers: admin }));
    expect(report).toMatchObject({ scanned: 1, stale: 1, corrupt: 0, repaired: 1 });
    const read = await own.send(`/api/products/${product.id}`);
    expect(read.headers.get("x-cache")).toBe("HIT");
    expect(await data<Product>(read)).toEqual(product);
  });

  it("two concurrent manual runs: one 200, one 409", async () => {
    await Promise.all(["A", "B", "C"].map((n) => create(`Concurrent ${n}`)));
    const statuses = (await Promise.all([run(), run()])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
  });

  it("is for admins only", async () => {
    expect((await app.send("/api/cache/consistency/run", { method: "POST" })).status).toBe(401);
    expect((await app.send("/api/cache/consistency")).status).toBe(401);
    expect((await app.send("/api/cache", { method: "DELETE" })).status).toBe(401);
  });

  it("DELETE /api/cache removes cache entries only: a signed-in session and rate-limit state stay", async () => {
    const limited = await harness.instance({
      ...harness.clientAddressing,
      ADMIN_TOKEN,
      RATE_LIMIT_MAX: "1000",
      REDIS_PREFIX: `flush-${crypto.randomUUID().slice(0, 8)}`,
    });
    const client = harness.from(`203.0.113.${Math.floor(Math.random() * 200)}`);
    const { token } = await data<{ token: string }>(
      await limited.send("/api/auth/register", json({ email: uniqueEmail(), password: "flush password" }, client)),
    );
    const product = await data<Product>(await limited.send("/api/products", json(sample("Flushed"), admin)));
    await limited.send(`/api/products/${product.id}`, { headers: client });
    const before = Number((await limited.send("/api/products?limit=1", { headers: client })).headers.get("x-ratelimit-remaining"));

    const flushed = await limited.send("/api/cache", { method: "DELETE", headers: admin });
    expect(flushed.status).toBe(200);
    expect((await data<{ deleted: number }>(flushed)).deleted).toBeGreaterThanOrEqual(2); // the product and the list page

    expect((await limited.send(`/api/products/${product.id}`, { headers: client })).headers.get("x-cache")).toBe("MISS");
    expect((await limited.send("/api/auth/me", { headers: { authorization: `Bearer ${token}`, ...client } })).status).toBe(200);
    const after = Number((await limited.send("/api/products?limit=1", { headers: client })).headers.get("x-ratelimit-remaining"));
    // The product GET above and this one count against the address (the /me counted against
    // the user): the budget was not reset by the flush.
    expect(after).toBe(before - 2);
  });
}
