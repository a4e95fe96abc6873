import { afterAll, describe, expect, it } from "vitest";
import { authScenarios } from "../shared/auth-scenarios";
import { cacheScenarios } from "../shared/cache-scenarios";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { consistencyScenarios } from "../shared/consistency-scenarios";
import { rateLimitScenarios } from "../shared/rate-limit-scenarios";
import { startRedisCluster } from "../support/redis-cluster";
import { createNodeHarness } from "../support/node-harness";

// A real three-master Redis Cluster of this file's own; every app below uses it through
// REDIS_CLUSTER_NODES, so each multi-key step must keep its keys in one slot (hash tags).
const cluster = await startRedisCluster();
const harness = createNodeHarness({
  environment: { REDIS_URL: undefined, REDIS_CLUSTER_NODES: cluster.nodes.join(",") },
  redisDown: { REDIS_CLUSTER_NODES: "127.0.0.1:1", REDIS_TIMEOUT_MS: "300" },
});
afterAll(async () => {
  await harness.closeAll();
  await cluster.stop();
});

describe("on a Redis Cluster (three masters, libSQL file)", () => {
  authScenarios(harness);
  cacheScenarios(harness);
  catalogueScenarios(harness);
  consistencyScenarios(harness);
  rateLimitScenarios(harness);
});

describe("the dashboard's metrics history on a Redis Cluster", () => {
  it("keeps a sample with its gate in one slot, and reads it back", async () => {
    const { services } = await harness.instance({ REDIS_PREFIX: `history-${crypto.randomUUID().slice(0, 8)}` });
    const sample = { at: new Date().toISOString(), hits: 1, misses: 0, stale: 0, coalesced: 0, errors: 0, hitRate: 1, allowed: 1, blocked: 0, redisKeys: 1, redisUsedMemoryBytes: null, redisLatencyMs: 1, consistencyScore: null };
    expect(await services.metricsHistory.record(sample)).toBe(true);
    expect(await services.metricsHistory.record(sample)).toBe(false); // within the interval
    expect(await services.metricsHistory.read()).toEqual([sample]);
  });
});
