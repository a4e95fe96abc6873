import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeEntry } from "../../src/cache/entry";
import { CACHE_SCHEMA } from "../../src/catalogue/types";
import { createProductRepository } from "../../src/db/products";
import type { ProductRepository } from "../../src/catalogue/repository";
import { products as productsTable } from "../../src/db/schema";
import { ops } from "../../src/redis/commands";
import { bulkProductRows } from "../support/bulk-products";
import { createTestApp } from "../support/node-app";

const TOTAL = 20_000;
const CHUNK = 500;

describe("a consistency run over 20,000 cached products (Node, redis-server, libSQL file)", () => {
  let largestBatch = 0;
  const observeBatches = (repository: ProductRepository): ProductRepository => ({
    ...repository,
    async findByIds(ids) {
      largestBatch = Math.max(largestBatch, ids.length);
      return repository.findByIds(ids);
    },
  });
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    app = await createTestApp({ REDIS_PREFIX: `scale-${crypto.randomUUID().slice(0, 8)}` }, { wrapProducts: observeBatches });
    const { db, redis, keys } = app.services;
    const now = Date.now();
    for (let start = 0; start < TOTAL; start += CHUNK) {
      const rows = bulkProductRows({ start, count: CHUNK, now, label: "Scale" });
      await db.insert(productsTable).values(rows);
      const loaded = await createProductRepository(db).findByIds(rows.map((row) => row.id));
      await redis.pipeline(
        loaded.map((product) =>
          ops.set(
            keys.product(product.id),
            encodeEntry({ kind: "entry", version: product.version, freshUntil: now + 3_600_000, schema: CACHE_SCHEMA, value: product }),
            { pxMs: 3_600_000 },
          ),
        ),
      );
    }
    largestBatch = 0;
  }, 120_000);
  afterAll(() => app.close());

  it("checks every key in bounded batches and reports it consistent", async () => {
    let peakHeap = process.memoryUsage().heapUsed;
    const baseline = peakHeap;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
    const started = performance.now();
    const report = await app.services.runConsistency("manual");
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    console.log(
      `consistency run: ${report.scanned} keys in ${seconds.toFixed(2)} s = ${Math.round(report.scanned / seconds)} keys/s; ` +
        `heap ${(baseline / 2 ** 20).toFixed(0)} MiB before, peak +${((peakHeap - baseline) / 2 ** 20).toFixed(1)} MiB; largest batch ${largestBatch} keys`,
    );
    expect(report).toMatchObject({
      scanned: TOTAL,
      consistent: TOTAL,
      stale: 0,
      orphaned: 0,
      corrupt: 0,
      score: 100,
      complete: true,
      errors: 0,
    });
    // Memory is bounded by the batch size, not the key count: no batch held more than one SCAN page.
    expect(largestBatch).toBeGreaterThan(0);
    expect(largestBatch).toBeLessThanOrEqual(CHUNK * 2);
  }, 120_000);
});
