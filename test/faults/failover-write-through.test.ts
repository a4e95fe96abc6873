/**
 * A write-through the primary acknowledged but had not yet sent to its replica when it died.
 * The replica is held back by a relay in front of the primary
 * (test/support/replication-link.ts), so the loss is real: the sentinels promote a replica that
 * never received the write. Two instances share the database and Redis; the writer's
 * write-through is lost with the old primary, and the other instance reads after the failover.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Product } from "../../src/catalogue/types";
import { json, sleep } from "../shared/harness";
import { createTestApp, testEnvironment } from "../support/node-app";
import { SENTINEL_NAME, startRedisSentinel, type RedisSentinelHandle } from "../support/redis-sentinel";

const ADMIN = { authorization: "Bearer failover-admin" };
type App = Awaited<ReturnType<typeof createTestApp>>;
const opened: { sentinel?: RedisSentinelHandle; apps: App[] } = { apps: [] };

afterEach(async () => {
  await Promise.all(opened.apps.splice(0).map((app) => app.close()));
  await opened.sentinel?.stop();
  opened.sentinel = undefined;
});

const stockOf = async (response: Response) => ((await response.json()) as { data: Product }).data.stock;

/** Two instances over one Sentinel setup whose replica lags while the test holds it, a product cached on both at stock 1. */
async function twoInstancesAfterLostWriteThrough(waitReplicas: string, consistency: "strict" | "available" = "strict") {
  const sentinel = await startRedisSentinel({ replicationLink: true });
  opened.sentinel = sentinel;
  const shared = testEnvironment({
    REDIS_URL: undefined,
    REDIS_SENTINELS: sentinel.sentinels.join(","),
    REDIS_SENTINEL_NAME: SENTINEL_NAME,
    REDIS_WAIT_REPLICAS: waitReplicas,
    ADMIN_TOKEN: "failover-admin",
    REDIS_TIMEOUT_MS: "400",
    CACHE_CONSISTENCY: consistency,
  });
  const [writer, reader] = [
    await createTestApp({ ...shared, REDIS_URL: undefined }),
    await createTestApp({ ...shared, REDIS_URL: undefined }),
  ];
  opened.apps.push(writer, reader);

  const created = await writer.app.request(
    "/api/products",
    json({ name: "Failover Kettle", description: "Written as the primary dies.", price: 10, stock: 1, category: "failover" }, ADMIN),
  );
  const { id } = ((await created.json()) as { data: Product }).data;
  await sentinel.replicaInSync();
  const cached = await reader.app.request(`/api/products/${id}`);
  expect([cached.headers.get("x-cache"), await stockOf(cached)]).toEqual(["HIT", 1]);

  sentinel.link!.hold();
  const patched = await writer.app.request(`/api/products/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", ...ADMIN },
    body: JSON.stringify({ stock: 2 }),
  });

  await sentinel.killPrimaryAndAwaitPromotion(); // with the stock-2 write-through (if any) the replica never received
  return { writer, reader, id, patched };
}

/** Reads on `reader` until it answers (not BYPASS) through the new primary, nudging the writer's owed retries meanwhile. */
async function readThroughNewPrimary(
  writer: App,
  reader: App,
  id: string,
  until: (stock: number) => boolean,
): Promise<{ stock: number; cache: string | null }> {
  const giveUpAt = Date.now() + 15_000;
  for (;;) {
    await (await writer.app.request(`/api/products/${id}`)).arrayBuffer();
    const response = await reader.app.request(`/api/products/${id}`);
    const seen = { stock: await stockOf(response), cache: response.headers.get("x-cache") };
    if ((seen.cache !== "BYPASS" && until(seen.stock)) || Date.now() > giveUpAt) return seen;
    await sleep(100);
  }
}

describe("Sentinel failover losing an acknowledged write-through", () => {
  it("without waiting for a replica (REDIS_WAIT_REPLICAS=0), the promoted replica serves the old stock: the loss is real", async () => {
    const { writer, reader, id, patched } = await twoInstancesAfterLostWriteThrough("0");
    expect(patched.status).toBe(200);
    const seen = await readThroughNewPrimary(writer, reader, id, () => true);
    expect(seen).toEqual({ stock: 1, cache: "HIT" });
  }, 60_000);

  it("waiting for a replica (the default with Sentinel), strict mode refuses the write while no replica has its marker: nothing committed, nothing stale", async () => {
    const { writer, reader, id, patched } = await twoInstancesAfterLostWriteThrough("1");
    expect(patched.status).toBe(503);
    expect(await patched.json()).toMatchObject({ code: "CACHE_UNAVAILABLE" });
    const seen = await readThroughNewPrimary(writer, reader, id, () => true);
    expect(seen).toEqual({ stock: 1, cache: "HIT" });
    expect(await stockOf(await writer.app.request(`/api/products/${id}`))).toBe(1);
  }, 60_000);

  it("waiting for a replica in available mode, the write-through is owed until one has it, and reapplied on the new primary", async () => {
    const { writer, reader, id, patched } = await twoInstancesAfterLostWriteThrough("1", "available");
    expect(patched.status).toBe(200);
    const seen = await readThroughNewPrimary(writer, reader, id, (stock) => stock === 2);
    expect(seen).toEqual({ stock: 2, cache: "HIT" });
    // Meanwhile the writer never trusted the cache for it: its own reads went to the database.
    expect(await stockOf(await writer.app.request(`/api/products/${id}`))).toBe(2);
  }, 60_000);
});
