import { afterAll, describe, expect, inject, it } from "vitest";
import { createMac } from "../../src/auth/mac";
import { createSessionStore } from "../../src/auth/sessions";
import { ops, type RedisCommand } from "../../src/redis/commands";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { createRedisKeys } from "../../src/redis/keys";
import { createRedisPort, type RedisTransport } from "../../src/redis/port";
import { authScenarios } from "../shared/auth-scenarios";
import { createNodeHarness } from "../support/node-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("accounts and sessions on Node (libSQL file + redis-server)", () => {
  authScenarios(harness);
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
