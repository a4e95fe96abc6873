import { describe, expect, it } from "vitest";
import type { ProductRepository } from "../../src/catalogue/repository";
import { ops } from "../../src/redis/commands";
import type { RedisTransport } from "../../src/redis/port";
import { createWorkerHarness } from "./harness";

/** Counts what a Worker invocation spends as subrequests: Upstash REST requests and database calls. */
function subrequestCounter() {
  const counter = {
    redis: 0,
    database: 0,
    total: () => counter.redis + counter.database,
    reset: () => {
      counter.redis = 0;
      counter.database = 0;
    },
  };
  const wrapRedis = (transport: RedisTransport): RedisTransport => ({
    ...transport,
    send: (commands, deadline) => {
      counter.redis += 1;
      return transport.send(commands, deadline);
    },
  });
  const wrapProducts = (repository: ProductRepository): ProductRepository =>
    new Proxy(repository, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          counter.database += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { counter, wrapRedis, wrapProducts };
}

describe("the product repository on D1", () => {
  it("reads a consistency batch of 500 ids in one query (D1 takes at most 100 bound parameters)", async () => {
    let repository: ProductRepository | undefined;
    await createWorkerHarness().instance({}, { wrapProducts: (inner) => (repository = inner) });
    const existing = await repository!.create({
      name: "Batch Probe",
      description: "Found among 500 ids.",
      price: 1,
      stock: 1,
      category: "batch",
      images: [],
      isActive: true,
    });
    const ids = [...Array.from({ length: 499 }, (_, i) => `absent-${i}`), existing.id];
    expect((await repository!.findByIds(ids)).map((product) => product.id)).toEqual([existing.id]);
  });
});

describe("a cron consistency run within the Workers Free plan's 50 subrequests", () => {
  it("with CONSISTENCY_MAX_BATCHES=4 and CONSISTENCY_LIST_SAMPLE=5, however many keys there are", async () => {
    const { counter, wrapRedis, wrapProducts } = subrequestCounter();
    const prefix = `plan-${crypto.randomUUID().slice(0, 8)}`;
    const { send, services } = await createWorkerHarness().instance(
      { REDIS_PREFIX: prefix, CONSISTENCY_MAX_BATCHES: "4", CONSISTENCY_LIST_SAMPLE: "5" },
      { wrapRedis, wrapProducts },
    );
    // 3,000 cached products the database does not have (each one a repair: the dearest batch) ...
    for (let chunk = 0; chunk < 6; chunk++) {
      await services.redis.pipeline(
        Array.from({ length: 500 }, (_, i) =>
          ops.set(services.keys.product(`gone-${chunk}-${i}`), `E|1|${Date.now() + 600_000}|1|{"id":"gone-${chunk}-${i}"}`, {
            pxMs: 600_000,
          }),
        ),
      );
    }
    // ... and cached lists of the current generation.
    for (let page = 1; page <= 8; page++) expect((await send(`/api/products?page=${page}&category=plan-${prefix}`)).status).toBe(200);

    counter.reset();
    const report = await services.runConsistency("cron");
    expect(report.complete).toBe(false); // stopped at its budget; the next run continues from the saved cursor
    expect(report.errors).toBe(0);
    expect(report.orphaned).toBeGreaterThan(0);
    // A sample: at most five lists, looked for in at most four SCAN pages (of a Redis the other
    // tests share, so how many of the eight it finds varies).
    expect(report.listsChecked).toBeLessThanOrEqual(5);
    expect(counter.total()).toBeLessThanOrEqual(50);
    console.log(
      `cron run: ${counter.redis} Redis requests + ${counter.database} database calls = ${counter.total()} subrequests; scanned ${report.scanned}`,
    );
  }, 60_000);
});
