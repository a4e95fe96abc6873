import { afterAll, describe, expect, inject, it } from "vitest";
import { createMetricsHistory, type MetricsSample } from "../../src/cache/metrics-history";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { createRedisKeys } from "../../src/redis/keys";
import { createRedisPort } from "../../src/redis/port";

const redis = createRedisPort(createIoRedisTransport(inject("redisUrl")), { timeoutMs: 5_000 });
afterAll(() => redis.close());

const sample = (hits: number): MetricsSample => ({
  at: new Date().toISOString(),
  hits,
  misses: 0,
  stale: 0,
  coalesced: 0,
  errors: 0,
  hitRate: 1,
  allowed: 0,
  blocked: 0,
  redisKeys: 1,
  redisUsedMemoryBytes: null,
  redisLatencyMs: 0.5,
  consistencyScore: null,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the metrics history in Redis", () => {
  it("keeps one sample per interval however many instances offer one, oldest first", async () => {
    const keys = createRedisKeys(`history-${crypto.randomUUID()}`);
    // Two instances of one deployment: same Redis, same keys.
    const [first, second] = [
      createMetricsHistory({ redis, keys, intervalMs: 300 }),
      createMetricsHistory({ redis, keys, intervalMs: 300 }),
    ];
    const offered = await Promise.all([first.record(sample(1)), second.record(sample(2)), first.record(sample(3))]);
    expect(offered.filter(Boolean)).toHaveLength(1);
    await sleep(350);
    expect(await second.record(sample(4))).toBe(true);
    const hits = (await first.read()).map((kept) => kept.hits);
    expect(hits).toHaveLength(2);
    expect(hits[1]).toBe(4);
    expect(await second.read()).toEqual(await first.read());
  });

  it("keeps only the newest `capacity` samples", async () => {
    const keys = createRedisKeys(`history-${crypto.randomUUID()}`);
    const history = createMetricsHistory({ redis, keys, intervalMs: 1, capacity: 3 });
    for (let hits = 1; hits <= 5; hits++) {
      expect(await history.record(sample(hits))).toBe(true);
      await sleep(5);
    }
    expect((await history.read()).map((kept) => kept.hits)).toEqual([3, 4, 5]);
  });
});
