import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSISTENCY_HEADER } from "../../src/http/middleware/read-your-writes";
import { nonCanonicalLast } from "../shared/base64url";
import { json, uniqueEmail } from "../shared/harness";
import { startRedisServer, type RedisServerHandle } from "../support/redis-server";
import { startReplicationLink, untilReplicaInSync, type ReplicationLink } from "../support/replication-link";
import { startUpstashRestServer, type UpstashRestServerHandle } from "../support/upstash-rest-server";
import { createTestApp } from "../support/node-app";

/**
 * Upstash Global's read replicas, stood in for by a real primary and replica whose
 * replication stream the test can hold (test/support/replication-link.ts), behind the local
 * REST endpoint that sends reads to the replica and honours sync tokens. While the stream is
 * held the replica is behind: a client's read after its own write is stale without its
 * consistency token and never with it.
 */
const ADMIN_TOKEN = "read-your-writes-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let primary: RedisServerHandle;
let replica: RedisServerHandle;
let link: ReplicationLink;
let rest: UpstashRestServerHandle;
let app: Awaited<ReturnType<typeof createTestApp>>;
/** The app's environment for the stand-in (replacing the test redis-server). */
const overStandIn = (overrides: Record<string, string> = {}) => ({
  REDIS_URL: undefined,
  UPSTASH_REDIS_REST_URL: rest.url,
  UPSTASH_REDIS_REST_TOKEN: rest.token,
  ADMIN_TOKEN,
  TRUST_PROXY: "true",
  ...overrides,
});
const send = (path: string, init?: RequestInit) => app.app.request(path, init);

const replicaInSync = () => untilReplicaInSync(primary.port, replica.port);

/** `work` while the replica receives nothing from the primary; then it catches up. */
async function whileReplicaLags<T>(work: () => Promise<T>): Promise<T> {
  link.hold();
  try {
    return await work();
  } finally {
    link.release();
    await replicaInSync();
  }
}

beforeAll(async () => {
  // No delay before the replica's first full sync (Redis waits 5 s for more replicas by default).
  primary = await startRedisServer({ extraArgs: ["--repl-diskless-sync-delay", "0"] });
  link = await startReplicationLink(primary.port);
  replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(link.port)] });
  rest = await startUpstashRestServer({ redisUrl: primary.url, replicaUrl: replica.url, replicaWaitMs: 200 });
  app = await createTestApp(overStandIn());
  await replicaInSync();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rest?.close();
  await link?.close();
  await Promise.all([replica?.stop(), primary?.stop()]);
});

describe("read-your-writes on a lagging replica (Upstash Global stand-in)", () => {
  it("a session signed in while the replica lags is found with the consistency token, not without", async () => {
    const credentials = { email: uniqueEmail("ryw"), password: "correct horse battery" };
    expect((await send("/api/auth/register", json(credentials))).status).toBe(201);
    await replicaInSync();
    await whileReplicaLags(async () => {
      const login = await send("/api/auth/login", json(credentials));
      expect(login.status).toBe(200);
      const consistency = login.headers.get(CONSISTENCY_HEADER);
      expect(consistency).toMatch(/^[\w-]+\.\d{10}\.[\w-]{22}$/);
      expect(login.headers.getSetCookie().some((cookie) => cookie.startsWith("consistency=") && /HttpOnly/i.test(cookie))).toBe(true);
      const bearer = { authorization: `Bearer ${((await login.json()) as { data: { token: string } }).data.token}` };

      // Without it the replica answers, and does not know the session yet.
      expect((await send("/api/auth/me", { headers: bearer })).status).toBe(401);
      // With it (header, or the cookie a browser sends back) the read waits for, or skips, the replica.
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: consistency! } })).status).toBe(200);
      expect((await send("/api/auth/me", { headers: { ...bearer, cookie: `consistency=${consistency}` } })).status).toBe(200);
    });
  });

  it("a consistency token whose MAC ends in a non-canonical character (same bytes) is not ours: ignored", async () => {
    const credentials = { email: uniqueEmail("ryw-mac"), password: "correct horse battery" };
    expect((await send("/api/auth/register", json(credentials))).status).toBe(201);
    await replicaInSync();
    await whileReplicaLags(async () => {
      const login = await send("/api/auth/login", json(credentials));
      expect(login.status).toBe(200);
      const consistency = login.headers.get(CONSISTENCY_HEADER)!;
      const bearer = { authorization: `Bearer ${((await login.json()) as { data: { token: string } }).data.token}` };
      const altered = nonCanonicalLast(consistency);
      expect(altered).not.toBe(consistency);
      // Ignored, so the lagging replica answers and does not know the session yet.
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: altered } })).status).toBe(401);
      expect((await send("/api/auth/me", { headers: { ...bearer, cookie: `consistency=${altered}` } })).status).toBe(401);
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: consistency } })).status).toBe(200);
    });
  });

  it("a product written while the replica lags reads back new for its writer, old for others until the replica catches up", async () => {
    const created = await send(
      "/api/products",
      json({ name: "Replicated Kettle", description: "Read far away.", price: 10, stock: 1, category: "ryw" }, admin),
    );
    const product = ((await created.json()) as { data: { id: string } }).data;
    await replicaInSync();
    expect((await send(`/api/products/${product.id}`)).headers.get("x-cache")).toBe("HIT");

    await whileReplicaLags(async () => {
      const patched = await send(`/api/products/${product.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ stock: 2 }),
      });
      expect(patched.status).toBe(200);
      const consistency = patched.headers.get(CONSISTENCY_HEADER)!;
      expect(consistency).toBeTruthy();

      const elsewhere = await send(`/api/products/${product.id}`);
      expect(((await elsewhere.json()) as { data: { stock: number } }).data.stock).toBe(1); // the replica's copy: stale
      const own = await send(`/api/products/${product.id}`, { headers: { [CONSISTENCY_HEADER]: consistency } });
      expect(own.headers.get("x-cache")).toBe("HIT");
      expect(((await own.json()) as { data: { stock: number } }).data.stock).toBe(2);
      expect(own.headers.get(CONSISTENCY_HEADER)).toBeNull(); // reads never set a position
    });
    // Caught up: everyone reads the write.
    expect(((await (await send(`/api/products/${product.id}`)).json()) as { data: { stock: number } }).data.stock).toBe(2);
  });

  it("rate limits stay exact while the replica lags: their script runs on the primary", async () => {
    const limited = await createTestApp(overStandIn({ RATE_LIMIT_MAX: "3" }));
    try {
      const statuses = await whileReplicaLags(async () => {
        const seen: number[] = [];
        for (let i = 0; i < 4; i++)
          seen.push((await limited.app.request("/api/products?limit=1", { headers: { "x-forwarded-for": "203.0.113.77" } })).status);
        return seen;
      });
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it("a made-up or altered consistency token is ignored, never sent to Redis", async () => {
    const written = await send(
      "/api/products",
      json({ name: "Token Kettle", description: "x", price: 1, stock: 1, category: "ryw" }, admin),
    );
    const genuine = written.headers.get(CONSISTENCY_HEADER)!;
    const [payload, expires, tag] = genuine.split(".");
    const forged = [
      `${Buffer.from("999999999999").toString("base64url")}.${expires}.${tag}`,
      `${payload}.${Number(expires) + 1}.${tag}`,
      "not-a-token",
    ];
    rest.resetRequests();
    for (const [index, token] of forged.entries()) {
      expect(
        (await send("/api/products?limit=1", { headers: { [CONSISTENCY_HEADER]: token, "x-forwarded-for": `203.0.113.${80 + index}` } }))
          .status,
      ).toBe(200);
    }
    expect(rest.requests.filter((request) => request.syncToken !== undefined)).toEqual([]);
    expect(
      (await send("/api/products?limit=1", { headers: { [CONSISTENCY_HEADER]: genuine, "x-forwarded-for": "203.0.113.79" } })).status,
    ).toBe(200);
    expect(rest.requests.some((request) => request.syncToken !== undefined)).toBe(true);
  });

  it("the OpenAPI document lists the token on every write's success, and on nothing else", async () => {
    const doc = (await (await send("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    for (const { method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const expected = ["post", "put", "patch", "delete"].includes(method) && status.startsWith("2");
        expect(CONSISTENCY_HEADER in (response.headers ?? {})).toBe(expected);
      }
    }
    expect(operations.filter(({ method }) => method === "patch").length).toBeGreaterThan(0);
  });
});
