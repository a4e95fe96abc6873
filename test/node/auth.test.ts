import { Hono } from "hono";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createMac } from "../../src/auth/mac";
import { createSessionStore } from "../../src/auth/sessions";
import { validateRead } from "../../src/http/conditional";
import { setSessionCookie } from "../../src/http/cookie";
import type { AppEnv } from "../../src/http/env";
import { requestContext } from "../../src/http/middleware/request-context";
import { appendCookie, respond } from "../../src/http/response-headers";
import { ops, type RedisCommand } from "../../src/redis/commands";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { createRedisKeys } from "../../src/redis/keys";
import { createRedisPort, type RedisTransport } from "../../src/redis/port";
import { authScenarios } from "../shared/auth-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("accounts and sessions on Node (libSQL file + redis-server)", () => {
  authScenarios(harness);
});

describe("the last word on cookies and caches (src/http/response-headers.ts)", () => {
  it("a response that sets a cookie is no-store even when its route made it public, however it is built", async () => {
    const { services } = await harness.instance();
    const app = new Hono<AppEnv>();
    app.use(requestContext(services));
    // A route that got it wrong: a public cached read that also sets the session cookie.
    const publicRead = (c: Parameters<typeof validateRead>[0]) => {
      validateRead(c, "1.1");
      setSessionCookie(c, "token");
    };
    app.get("/respond", (c) => {
      publicRead(c);
      return respond(c, "{}", 200);
    });
    app.get("/json", (c) => {
      publicRead(c);
      return c.json({});
    });
    app.use("/late", async (c, next) => {
      await next();
      appendCookie(c, "late=1; Path=/");
    });
    app.get("/late", (c) => {
      validateRead(c, "1.1");
      return c.json({});
    });
    app.get("/plain", (c) => {
      validateRead(c, "1.1");
      return c.json({});
    });
    for (const path of ["/respond", "/json", "/late"]) {
      const response = await app.request(path);
      expect(response.headers.get("set-cookie")).not.toBeNull();
      expect(`${path}: ${response.headers.get("cache-control")}`).toBe(`${path}: no-store`);
    }
    expect((await app.request("/plain")).headers.get("cache-control")).toBe("public, no-cache");
  });

  it("the OpenAPI document says which responses are no-store, and that the session cookie has no Max-Age", async () => {
    type Responses = Record<string, { headers?: Record<string, { description: string }> }>;
    const spec = (await (await harness.app())("/openapi.json").then((response) => response.json())) as {
      paths: Record<string, Record<string, { responses: Responses }>>;
    };
    const cacheControl = (path: string, method: string, status: string) =>
      spec.paths[path]?.[method]?.responses[status]?.headers?.["Cache-Control"]?.description ?? "";
    for (const [path, method, status] of [
      ["/api/auth/register", "post", "201"],
      ["/api/auth/login", "post", "200"],
      ["/api/auth/login", "post", "401"],
      ["/api/auth/logout", "post", "204"],
      ["/api/auth/logout-all", "post", "204"],
      ["/api/auth/me", "get", "200"],
      ["/api/auth/me", "get", "401"],
      ["/api/wishlist", "get", "200"],
      ["/api/cache/metrics", "get", "200"],
    ] as const) {
      expect(`${method} ${path} ${status}: ${cacheControl(path, method, status)}`).toMatch(/: no-store/);
    }
    for (const path of ["/api/products", "/api/products/{id}"])
      expect(cacheControl(path, "get", "200")).toMatch(/^public, no-cache.*never carries Set-Cookie/);
    expect(spec.paths["/api/auth/login"]?.post?.responses["200"]?.headers?.["Set-Cookie"]?.description).toMatch(/no Max-Age/);
  });
});

/** Records every command that reaches Redis, to prove what a store operation sends. */
function recording(inner: RedisTransport) {
  const sent: RedisCommand["name"][] = [];
  const transport: RedisTransport = {
    ...inner,
    send: (commands, deadline) => {
      sent.push(...commands.map((command) => command.name));
      return inner.send(commands, deadline);
    },
  };
  return { transport, sent };
}

describe("session store against redis-server", () => {
  const keys = createRedisKeys(`sessions-${crypto.randomUUID()}`);
  const { transport, sent } = recording(createIoRedisTransport(inject("redisUrl")));
  const redis = createRedisPort(transport, { timeoutMs: 2_000 });
  const sessions = createSessionStore({ redis, keys, ttlSeconds: 1, mac: createMac({ redis, keys, secret: undefined }) });
  afterAll(() => redis.close());
  const user = { id: crypto.randomUUID(), email: "s@example.com", roles: ["user" as const] };

  it("revokes all of a user's sessions through the per-user index in one script, without SCAN or KEYS", async () => {
    const created = await Promise.all([1, 2, 3].map(() => sessions.create(user)));
    const index = () => redis.run(ops.smembers(keys.userSessions(user.id)));
    expect(await index()).toHaveLength(3);
    sent.length = 0;
    expect(await sessions.revokeAll(user.id)).toBe(3);
    expect(sent).toEqual(["eval"]); // one command: the script's first use on this port goes as EVAL (EVALSHA once the server has it)
    for (const { token } of created) expect(await sessions.find(token)).toBeNull();
    expect(await index()).toEqual([]);
  });

  it("never writes an expired session back, even when a touch is attempted", async () => {
    const { token, session } = await sessions.create(user);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await sessions.find(token)).toBeNull();
    const touched = await sessions.touch(session);
    expect(touched.lastAccessedAt).toBe(session.lastAccessedAt);
    expect(await sessions.find(token)).toBeNull();
    expect(await redis.run(ops.get(keys.session(session.userId, session.id)))).toBeNull();
  });

  it("stores only the token's hash: the token itself appears in no key or value", async () => {
    const { token, session } = await sessions.create(user);
    expect(keys.session(session.userId, session.id)).not.toContain(token);
    const stored = await redis.run(ops.get(keys.session(session.userId, session.id)));
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored!)).toMatchObject({ userId: user.id, email: user.email, roles: ["user"] });
  });
});
