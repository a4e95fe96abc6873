/**
 * The Upstash REST adapter against the local REST endpoint while it injects latency, then
 * HTTP 500s: every read still answers 200 with the right product from the database
 * (X-Cache BYPASS), no request waits much past REDIS_TIMEOUT_MS, a write during the fault
 * is acknowledged (CACHE_CONSISTENCY=available) and visible afterwards, and the cache is used again within 2 s of the
 * faults clearing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { json, sleep } from "../shared/harness";
import { createTestApp } from "../support/node-app";
import { startUpstashRestServer, type UpstashRestServerHandle } from "../support/upstash-rest-server";
import type { Product } from "../../src/catalogue/types";

const ADMIN = { authorization: "Bearer faults-admin" };
const TIMEOUT_MS = 300;
/** REDIS_TIMEOUT_MS plus generous overhead: a request may pay the timeout once, never the injected latency. */
const LATENCY_BOUND_MS = TIMEOUT_MS + 700;
const RECOVERY_BOUND_MS = 2_000;
const SEQUENTIAL = 20;

interface Page {
  products: Product[];
  total: number;
}

type App = Awaited<ReturnType<typeof createTestApp>>;

/** A failure list short enough to read: the first three, a count, the last. */
const brief = (items: string[]) => (items.length <= 4 ? items : [...items.slice(0, 3), `… ${items.length - 4} more …`, items.at(-1)!]);
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const stats = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { n: sorted.length, p50: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1) ?? 0) };
};

describe("Upstash REST faults: injected latency and HTTP 500s", () => {
  let rest: UpstashRestServerHandle;
  let built: App;

  beforeAll(async () => {
    rest = await startUpstashRestServer({ redisUrl: inject("redisUrl") });
    built = await createTestApp({
      REDIS_URL: undefined,
      UPSTASH_REDIS_REST_URL: rest.url,
      UPSTASH_REDIS_REST_TOKEN: rest.token,
      REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
      ADMIN_TOKEN: "faults-admin",
      // Writes go on while Redis fails (strict mode would refuse them: test/faults/redis-outage.test.ts).
      CACHE_CONSISTENCY: "available",
    });
  });

  afterAll(async () => {
    if (rest) {
      rest.faults.latencyMs = 0;
      rest.faults.failStatus = null;
    }
    await built?.close();
    await rest?.close();
  });

  it("answers correctly and promptly through latency and 500s, keeps an acknowledged write, and recovers", async () => {
    const { app, services } = built;
    expect(services.redis.adapter).toBe("upstash");
    const category = `upstash-${crypto.randomUUID().slice(0, 8)}`;
    const created = await app.request(
      "/api/products",
      json(
        { name: "Upstash Fault Lamp", description: "A lamp read while the REST endpoint misbehaves.", price: 49.5, stock: 7, category },
        ADMIN,
      ),
    );
    expect(created.status).toBe(201);
    const product = ((await created.json()) as { data: Product }).data;
    const listPath = `/api/products?category=${category}&limit=5`;

    // Healthy: the write-through filled the cache, so the read is a HIT.
    await (await app.request(`/api/products/${product.id}`)).arrayBuffer();
    const warm = await app.request(`/api/products/${product.id}`);
    expect(warm.status).toBe(200);
    expect(warm.headers.get("x-cache")).toBe("HIT");
    expect(((await warm.json()) as { data: Product }).data).toEqual(product);
    await (await app.request(listPath)).arrayBuffer();

    /** 20 sequential reads of the product and of the list; every answer checked against `expected`. */
    async function phase(expected: Product) {
      const latencies: number[] = [];
      const xcache: Record<string, number> = {};
      const problems: string[] = [];
      for (let i = 0; i < SEQUENTIAL; i += 1) {
        for (const path of [`/api/products/${product.id}`, listPath]) {
          const t0 = performance.now();
          const response = await app.request(path);
          const body = await response.text();
          const ms = performance.now() - t0;
          latencies.push(ms);
          const cache = response.headers.get("x-cache") ?? "none";
          xcache[cache] = (xcache[cache] ?? 0) + 1;
          if (response.status !== 200) {
            problems.push(`#${i} ${path} → ${response.status}: ${body}`);
            continue;
          }
          const data = (JSON.parse(body) as { data: unknown }).data;
          const served = path === listPath ? (data as Page).products : [data as Product];
          if (served.length !== 1 || JSON.stringify(served[0]) !== JSON.stringify(expected))
            problems.push(`#${i} ${path} served ${JSON.stringify(served)}`);
          // No Redis reply can arrive within the timeout, so no answer may claim to come from the cache.
          if (cache !== "BYPASS") problems.push(`#${i} ${path} X-Cache ${cache}, expected BYPASS`);
          if (ms >= LATENCY_BOUND_MS) problems.push(`#${i} ${path} took ${Math.round(ms)} ms (bound ${LATENCY_BOUND_MS} ms)`);
        }
      }
      return { latencies, xcache, problems };
    }

    // 1. Every REST call takes 2 s: far past REDIS_TIMEOUT_MS.
    rest.faults.latencyMs = 2_000;
    const slow = await phase(product);

    // 2. Every REST call answers 500 at once.
    rest.faults.latencyMs = 0;
    rest.faults.failStatus = 500;
    const failing = await phase(product);

    // A write while Redis answers 500: it commits to the database and is acknowledged.
    const patch = await app.request(`/api/products/${product.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...ADMIN },
      body: JSON.stringify({ stock: 99 }),
    });
    const patchBody = await patch.text();
    expect(patch.status, patchBody).toBe(200);
    const updated = (JSON.parse(patchBody) as { data: Product }).data;
    expect(updated).toMatchObject({ id: product.id, stock: 99, version: product.version + 1 });
    // Still failing, and long enough for every background write-through retry (100 + 400 + 1600 ms) to fail too.
    const duringWrite: string[] = [];
    const writeWindowEnd = performance.now() + 2_500;
    while (performance.now() < writeWindowEnd) {
      const response = await app.request(`/api/products/${product.id}`);
      const served = response.status === 200 ? ((await response.json()) as { data: Product }).data : undefined;
      if (served?.stock !== 99)
        duringWrite.push(`during the fault: ${response.status} stock ${String(served?.stock)} X-Cache ${response.headers.get("x-cache")}`);
      await sleep(100);
    }

    // 3. Faults cleared: within 2 s reads are served from Redis again, and never the old value
    // (watched for 3 s, past the recovery bound).
    rest.faults.failStatus = null;
    const clearedAt = performance.now();
    let recoveredMs: number | undefined;
    const afterClear: string[] = [];
    const afterXcache: Record<string, number> = {};
    while (performance.now() - clearedAt < 3_000) {
      const response = await app.request(`/api/products/${product.id}`);
      const cache = response.headers.get("x-cache") ?? "none";
      afterXcache[cache] = (afterXcache[cache] ?? 0) + 1;
      const served = response.status === 200 ? ((await response.json()) as { data: Product }).data : undefined;
      if (served?.stock !== 99)
        afterClear.push(
          `after clearing: ${response.status} stock ${String(served?.stock)} X-Cache ${cache} at ${Math.round(performance.now() - clearedAt)} ms`,
        );
      if (recoveredMs === undefined && (cache === "HIT" || cache === "MISS")) recoveredMs = performance.now() - clearedAt;
      await sleep(50);
    }
    const finalList = await app.request(listPath);
    const finalStock = finalList.status === 200 ? ((await finalList.json()) as { data: Page }).data.products[0]?.stock : undefined;

    console.log(
      `[faults] upstash-faults: ${JSON.stringify({
        latency2000: {
          requests: slow.latencies.length,
          errors: slow.problems.length,
          latencyMs: stats(slow.latencies),
          xcache: slow.xcache,
        },
        status500: {
          requests: failing.latencies.length,
          errors: failing.problems.length,
          latencyMs: stats(failing.latencies),
          xcache: failing.xcache,
        },
        writeDuring500: { status: patch.status, staleReadsDuringFault: duringWrite.length, staleReadsAfterClear: afterClear.length },
        recoveryMs: recoveredMs === undefined ? "not within 3 s" : Math.round(recoveredMs),
        afterClearXcache: afterXcache,
        restRequests: rest.requests.length,
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      })}`,
    );

    expect.soft(brief(slow.problems), "reads while every REST call took 2 s").toEqual([]);
    expect.soft(brief(failing.problems), "reads while every REST call answered 500").toEqual([]);
    expect.soft(brief(duringWrite), "reads after the acknowledged write, faults still on").toEqual([]);
    expect.soft(brief(afterClear), "reads after the faults cleared must show the acknowledged write").toEqual([]);
    expect.soft(finalStock, "the list after the faults cleared").toBe(99);
    expect.soft(recoveredMs, "time until a read is served through Redis again").toBeDefined();
    expect.soft(recoveredMs!).toBeLessThan(RECOVERY_BOUND_MS);
  });
});
