import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/catalogue/types";
import { authScenarios } from "../shared/auth-scenarios";
import { cacheScenarios } from "../shared/cache-scenarios";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { consistencyScenarios } from "../shared/consistency-scenarios";
import { createIoRedisClusterTransport } from "../../src/redis/adapters/ioredis-cluster";
import { ops } from "../../src/redis/commands";
import { createRedisPort } from "../../src/redis/port";
import { data, json } from "../shared/harness";
import { rateLimitScenarios } from "../shared/rate-limit-scenarios";
import { startRedisCluster, type RedisClusterHandle } from "../support/redis-cluster";
import { clientsBlockedInWait } from "../support/replication-link";
import { createNodeHarness } from "../support/self-hosted-harness";

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
    const sample = {
      at: new Date().toISOString(),
      hits: 1,
      misses: 0,
      stale: 0,
      coalesced: 0,
      errors: 0,
      hitRate: 1,
      allowed: 1,
      blocked: 0,
      redisKeys: 1,
      redisUsedMemoryBytes: null,
      redisLatencyMs: 1,
      consistencyScore: null,
    };
    expect(await services.metricsHistory.record(sample)).toBe(true);
    expect(await services.metricsHistory.record(sample)).toBe(false); // within the interval
    expect(await services.metricsHistory.read()).toEqual([sample]);
  });
});

describe("write-throughs on a Redis Cluster wait for a replica (REDIS_WAIT_REPLICAS unset: 1) only where a master has one", () => {
  const admin = { authorization: "Bearer cluster-wait-admin" };
  const run = promisify(execFile);
  /** WAIT calls the masters of `cluster` have served, summed (INFO commandstats). */
  const waitsServed = async (on: RedisClusterHandle) => {
    let calls = 0;
    for (const master of await on.masters()) {
      const { stdout } = await run("redis-cli", ["-p", String(master.port), "info", "commandstats"]);
      calls += Number(/cmdstat_wait:calls=(\d+)/.exec(stdout)?.[1] ?? 0);
    }
    return calls;
  };
  /** Creates and updates a product through one instance; what that instance then reads of it. */
  const writeThenRead = async (send: (path: string, init?: RequestInit) => Promise<Response>) => {
    const { id } = await data<Product>(
      await send(
        "/api/products",
        json({ name: "Replicated Kettle", description: "Written through to a cluster.", price: 10, stock: 1, category: "wait" }, admin),
      ),
    );
    const patched = await send(`/api/products/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...admin },
      body: JSON.stringify({ stock: 2 }),
    });
    expect(patched.status).toBe(200);
    const read = await send(`/api/products/${id}`);
    return { cache: read.headers.get("x-cache"), stock: (await data<Product>(read)).stock };
  };

  it("without replicas no WAIT is sent, and the writer's write-through is not left owed (its read is a HIT)", async () => {
    const before = await waitsServed(cluster);
    const send = await harness.app({ ADMIN_TOKEN: "cluster-wait-admin" });
    expect(await writeThenRead(send)).toEqual({ cache: "HIT", stock: 2 });
    expect(await waitsServed(cluster)).toBe(before);
  });

  it("with a replica per master every write-through waits for it, and the writer reads its write from the cache", async () => {
    const replicated = await startRedisCluster({ replicasPerMaster: 1 });
    try {
      await replicated.replicasInSync();
      const send = await harness.app({ ADMIN_TOKEN: "cluster-wait-admin", REDIS_CLUSTER_NODES: replicated.nodes.join(",") });
      expect(await writeThenRead(send)).toEqual({ cache: "HIT", stock: 2 });
      expect(await waitsServed(replicated)).toBeGreaterThanOrEqual(2); // the create's and the update's

      // A WAIT holds only its own pipeline: with the replicas gone (still in the slot map for a
      // few seconds) it waits its whole second, and a read issued with it is answered meanwhile.
      const redis = createRedisPort(createIoRedisClusterTransport(replicated.nodes), { timeoutMs: 5_000 });
      try {
        await redis.pipeline([ops.set("{held}:warm", "v"), ops.wait(0, 1)]); // both connections up, the slot map read
        const masters = await replicated.masters();
        const primaries = new Set(masters.map((master) => master.port));
        await Promise.all(replicated.servers.filter((server) => !primaries.has(server.port)).map((server) => server.stop()));
        const waited = redis.pipeline([ops.set("{held}:key", "w"), ops.wait(1, 1_000)]);
        // Issued in the same tick, which would otherwise share the WAIT's round trip.
        expect(await redis.run(ops.get("{held}:warm"))).toBe("v");
        const blocked = await Promise.all(masters.map((master) => clientsBlockedInWait(master.port)));
        expect(blocked.reduce((sum, count) => sum + count, 0)).toBe(1); // answered while it still waits
        expect((await waited)[1]).toBe(0);
      } finally {
        await redis.close();
      }
    } finally {
      await replicated.stop();
    }
  }, 60_000);
});
