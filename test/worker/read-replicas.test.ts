import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { CONSISTENCY_HEADER } from "../../src/http/middleware/read-your-writes";
import { ops } from "../../src/redis/commands";
import { data, json, uniqueEmail, type Instance } from "../shared/harness";
import { workerInstance } from "./harness";
import { laggingD1, type LaggingD1 } from "./lagging-d1";

/**
 * D1 read replication in workerd: the Worker's queries go through the D1 Sessions API, and
 * a client's consistency token carries the bookmark of its last write. Against the real
 * local D1, and against a stand-in whose replica lags while the test holds it.
 */
const ADMIN_TOKEN = "read-replicas-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const environment = () => ({ ADMIN_TOKEN, REDIS_PREFIX: `replicas-${crypto.randomUUID().slice(0, 8)}` });

const patch = (changes: unknown) => ({
  method: "PATCH",
  headers: { "content-type": "application/json", ...admin },
  body: JSON.stringify(changes),
});
const newProduct = (category: string) =>
  json({ name: "Replica Kettle", description: "Read far away.", price: 10, stock: 1, category }, admin);

/** The token's position: { r: Upstash sync token, d: D1 bookmark }. */
const positionIn = (token: string) =>
  JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))) as { r?: string; d?: string };

describe("D1 sessions on the real local D1", () => {
  it("a write's token carries the session's bookmark, and the client's next request opens its session there", async () => {
    const opened: (string | undefined)[] = [];
    const recording = new Proxy(env.DB, {
      get(target, property) {
        if (property === "withSession") {
          return (constraint?: string) => {
            opened.push(constraint);
            return target.withSession(constraint);
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { send } = await workerInstance({ ...environment(), DB: recording });

    const created = await send("/api/products", newProduct("d1-sessions"));
    expect(created.status).toBe(201);
    const token = created.headers.get(CONSISTENCY_HEADER)!;
    const bookmark = positionIn(token).d;
    expect(bookmark).toEqual(expect.any(String));
    expect(opened).toEqual(["first-primary"]); // a request that may write starts on the primary

    // A list's load reads the primary without a session; then a product's miss reads at the bookmark.
    expect(
      (await send("/api/products?category=nobody-else&limit=1", { headers: { [CONSISTENCY_HEADER]: token } })).headers.get("x-cache"),
    ).toBe("MISS");
    const read = await send(`/api/products/${crypto.randomUUID()}`, { headers: { [CONSISTENCY_HEADER]: token } });
    expect(read.status).toBe(404);
    expect(opened.slice(1)).toEqual([bookmark]);
    expect(read.headers.get(CONSISTENCY_HEADER)).toBeNull(); // reads never move a position

    await send(`/api/products/${crypto.randomUUID()}`);
    expect(opened.at(-1)).toBe("first-unconstrained"); // no token: any replica
  });
});

describe("D1 read replicas, stood in for by a replica the test holds back", () => {
  let d1: LaggingD1;
  let app: Instance;
  beforeAll(async () => {
    await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
    d1 = laggingD1(env.DB, env.REPLICA_DB);
    app = await workerInstance({ ...environment(), DB: d1.database });
  });
  const send = (path: string, init?: RequestInit) => app.send(path, init);

  async function signedIn(): Promise<Record<string, string>> {
    const credentials = { email: uniqueEmail("replica"), password: "correct horse battery" };
    expect((await send("/api/auth/register", json(credentials))).status).toBe(201);
    const login = await send("/api/auth/login", json(credentials));
    return { authorization: `Bearer ${(await data<{ token: string }>(login)).token}` };
  }

  it("a wishlist changed while the replica lags reads back for its writer with the token, stale without", async () => {
    const product = await data<{ id: string }>(await send("/api/products", newProduct("replica-wishlist")));
    const bearer = await signedIn();
    d1.hold();
    try {
      const toggled = await send(`/api/products/${product.id}/wishlist`, { method: "POST", headers: bearer });
      expect(toggled.status).toBe(200);
      const token = toggled.headers.get(CONSISTENCY_HEADER)!;
      expect(positionIn(token).d).toEqual(expect.any(String));

      const readsBefore = d1.replicaReads();
      const elsewhere = await data<{ total: number }>(await send("/api/wishlist", { headers: bearer }));
      expect(d1.replicaReads()).toBeGreaterThan(readsBefore);
      expect(elsewhere.total).toBe(0); // the replica has not seen the toggle
      const own = await data<{ products: { id: string }[] }>(
        await send("/api/wishlist", { headers: { ...bearer, [CONSISTENCY_HEADER]: token } }),
      );
      expect(own.products.map((p) => p.id)).toEqual([product.id]);
      // The cookie a browser sends back does the same.
      const viaCookie = await data<{ total: number }>(
        await send("/api/wishlist", { headers: { ...bearer, cookie: `consistency=${token}` } }),
      );
      expect(viaCookie.total).toBe(1);
    } finally {
      await d1.release();
    }
    expect((await data<{ total: number }>(await send("/api/wishlist", { headers: bearer }))).total).toBe(1); // caught up: everyone
  });

  it("a fill read from the lagging replica never replaces the newer version a write put in the cache", async () => {
    const product = await data<{ id: string }>(await send("/api/products", newProduct("replica-fill")));
    await app.services.redis.run(ops.del(app.services.keys.product(product.id)));
    d1.hold();
    try {
      // A reader misses and loads from the replica; its read is held until the write is done.
      const pause = d1.pauseNextReplicaRead();
      const slowReader = send(`/api/products/${product.id}`);
      await pause.arrived;
      const patched = await send(`/api/products/${product.id}`, patch({ stock: 2 }));
      expect((await data<{ stock: number; version: number }>(patched)).version).toBe(2);
      pause.resume();
      const slow = await slowReader;
      expect((await data<{ stock: number }>(slow)).stock).toBe(1); // what the replica had: that reader's own answer
      expect(slow.headers.get("x-cache")).toBe("MISS");

      // Its fill was refused: everyone reads the write from the cache, though the replica still lags.
      const after = await send(`/api/products/${product.id}`);
      expect(after.headers.get("x-cache")).toBe("HIT");
      expect((await data<{ stock: number; version: number }>(after)).version).toBe(2);
    } finally {
      await d1.release();
    }
  });

  it("a writer's read never shares a load another client is making on the lagging replica", async () => {
    const product = await data<{ id: string }>(await send("/api/products", newProduct("replica-flight")));
    d1.hold();
    try {
      const token = (await send(`/api/products/${product.id}`, patch({ stock: 2 }))).headers.get(CONSISTENCY_HEADER)!;
      await app.services.redis.run(ops.del(app.services.keys.product(product.id))); // evicted
      const pause = d1.pauseNextReplicaRead();
      const slowReader = send(`/api/products/${product.id}`);
      await pause.arrived;
      // Were it to join that load, it would wait for it (held until after this read) and get the replica's copy.
      const own = await send(`/api/products/${product.id}`, { headers: { [CONSISTENCY_HEADER]: token } });
      expect((await data<{ stock: number }>(own)).stock).toBe(2);
      pause.resume();
      expect((await data<{ stock: number }>(await slowReader)).stock).toBe(1);
      expect((await data<{ stock: number }>(await send(`/api/products/${product.id}`))).stock).toBe(2); // the writer's fill stands
    } finally {
      await d1.release();
    }
  });

  it("after two writers raced, a fill from the lagging replica cannot put back an older version for the writer to read", async () => {
    // The first writer's update stops after its commit, before its write-through.
    const gate: { arrived?: () => void; release?: Promise<void> } = {};
    const racing = await workerInstance(
      { ...environment(), DB: d1.database },
      {
        wrapProducts: (repository) => ({
          ...repository,
          async update(id, changes, ifVersion) {
            const updated = await repository.update(id, changes, ifVersion);
            const { arrived, release } = gate;
            gate.arrived = gate.release = undefined;
            arrived?.();
            await release;
            return updated;
          },
        }),
      },
    );
    const product = await data<{ id: string }>(await racing.send("/api/products", newProduct("replica-race")));
    d1.hold();
    try {
      let releaseFirst!: () => void;
      const firstCommitted = new Promise<void>((resolve) => (gate.arrived = resolve));
      gate.release = new Promise<void>((resolve) => (releaseFirst = resolve));
      const first = racing.send(`/api/products/${product.id}`, patch({ stock: 2 })); // commits v2, then waits
      await firstCommitted;
      const second = await racing.send(`/api/products/${product.id}`, patch({ stock: 3 })); // commits v3, writes it through
      expect((await data<{ version: number }>(second)).version).toBe(3);
      const token = second.headers.get(CONSISTENCY_HEADER)!;
      releaseFirst();
      expect((await first).status).toBe(200); // its v2 write-through, the last one, does not have the newest value

      // A reader without a token loads from the replica (v1); its fill is refused.
      expect((await data<{ stock: number }>(await racing.send(`/api/products/${product.id}`))).stock).toBe(1);
      // So the second writer reads its own write, and fills it.
      const own = await racing.send(`/api/products/${product.id}`, { headers: { [CONSISTENCY_HEADER]: token } });
      expect((await data<{ stock: number; version: number }>(own)).version).toBe(3);
      const after = await racing.send(`/api/products/${product.id}`);
      expect([after.headers.get("x-cache"), (await data<{ version: number }>(after)).version]).toEqual(["HIT", 3]);
    } finally {
      await d1.release();
    }
  });

  it("a list loaded while the replica lags has the write: lists load from the primary", async () => {
    const category = `replica-list-${crypto.randomUUID().slice(0, 8)}`;
    d1.hold();
    try {
      const created = await data<{ id: string }>(await send("/api/products", newProduct(category)));
      const readsBefore = d1.replicaReads();
      const list = await send(`/api/products?category=${category}`);
      expect(list.headers.get("x-cache")).toBe("MISS");
      expect((await data<{ products: { id: string }[] }>(list)).products.map((p) => p.id)).toEqual([created.id]);
      expect(d1.replicaReads()).toBe(readsBefore);
    } finally {
      await d1.release();
    }
  });
});
