import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { CONSISTENCY_HEADER } from "../../src/http/middleware/read-your-writes";
import { nonCanonicalLast } from "../shared/base64url";
import { data, json, uniqueEmail, type Instance } from "../shared/harness";
import { workerInstance } from "./harness";

/**
 * Upstash Global's read replicas in workerd: the Worker's Upstash adapter against the local
 * REST endpoint over a real primary and replica, whose replication stream the test holds
 * through the control endpoint of test/support/global-setup.ts. While held, a client's read
 * after its own write is stale without its consistency token and never with it.
 */
const ADMIN_TOKEN = "upstash-replicas-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const control = (action: "hold" | "release") =>
  fetch(`${env.REPLICATION_CONTROL_URL}/${action}`, { method: "POST" }).then((response) => expect(response.status).toBe(204));

/** `work` while the replica receives nothing from the primary; then it catches up. */
async function whileReplicaLags(work: () => Promise<void>): Promise<void> {
  await control("hold");
  try {
    await work();
  } finally {
    await control("release");
  }
}

describe("read-your-writes on a lagging Upstash replica, in workerd", () => {
  let app: Instance;
  beforeAll(async () => {
    app = await workerInstance({
      UPSTASH_REDIS_REST_URL: env.REPLICATED_UPSTASH_URL,
      UPSTASH_REDIS_REST_TOKEN: env.REPLICATED_UPSTASH_TOKEN,
      REDIS_PREFIX: `upstash-replicas-${crypto.randomUUID().slice(0, 8)}`,
      ADMIN_TOKEN,
    });
  });
  const send = (path: string, init?: RequestInit) => app.send(path, init);

  /** Registers, lets the replica catch up, then signs in while it lags: the sign-in's session token (bearer) and consistency token. */
  async function signInWhileReplicaLags(
    label: string,
    check: (signedIn: { bearer: Record<string, string>; token: string }) => Promise<void>,
  ) {
    const credentials = { email: uniqueEmail(label), password: "correct horse battery" };
    expect((await send("/api/auth/register", json(credentials))).status).toBe(201);
    await control("release"); // in sync before the next write
    await whileReplicaLags(async () => {
      const login = await send("/api/auth/login", json(credentials));
      expect(login.status).toBe(200);
      const token = login.headers.get(CONSISTENCY_HEADER)!;
      await check({ bearer: { authorization: `Bearer ${(await data<{ token: string }>(login)).token}` }, token });
    });
  }

  it("a session signed in while the replica lags is found with the consistency token, not without", async () => {
    await signInWhileReplicaLags("edge-ryw", async ({ bearer, token }) => {
      expect((await send("/api/auth/me", { headers: bearer })).status).toBe(401);
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: token } })).status).toBe(200);
    });
  });

  it("a consistency token whose MAC ends in a non-canonical character (same bytes) is not ours: ignored", async () => {
    await signInWhileReplicaLags("edge-ryw-mac", async ({ bearer, token }) => {
      const altered = nonCanonicalLast(token);
      expect(altered).not.toBe(token);
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: altered } })).status).toBe(401);
      expect((await send("/api/auth/me", { headers: { ...bearer, [CONSISTENCY_HEADER]: token } })).status).toBe(200);
    });
  });

  it("a product written while the replica lags reads back new for its writer, old for others", async () => {
    const created = await send(
      "/api/products",
      json({ name: "Edge Kettle", description: "Read far away.", price: 10, stock: 1, category: "edge-ryw" }, admin),
    );
    const { id } = await data<{ id: string }>(created);
    await control("release");
    expect((await send(`/api/products/${id}`)).headers.get("x-cache")).toBe("HIT");
    await whileReplicaLags(async () => {
      const patched = await send(`/api/products/${id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ stock: 2 }),
      });
      const token = patched.headers.get(CONSISTENCY_HEADER)!;
      expect((await data<{ stock: number }>(await send(`/api/products/${id}`))).stock).toBe(1);
      const own = await send(`/api/products/${id}`, { headers: { [CONSISTENCY_HEADER]: token } });
      expect([own.headers.get("x-cache"), (await data<{ stock: number }>(own)).stock]).toEqual(["HIT", 2]);
    });
  });
});
