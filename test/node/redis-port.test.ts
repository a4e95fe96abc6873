import { describe, expect, it } from "vitest";
import { ops } from "../../src/redis/commands";
import { createRedisPort, RedisTimeoutError, type RedisTransport } from "../../src/redis/port";

// Failure injection: a transport that never answers is something no real server does on demand.
const silentTransport: RedisTransport = {
  adapter: "ioredis",
  send: () => new Promise(() => {}),
  close: async () => {},
};

describe("Redis port", () => {
  it("bounds every call by its timeout", async () => {
    const redis = createRedisPort(silentTransport, { timeoutMs: 50 });
    const started = Date.now();
    await expect(redis.run(ops.get("k"))).rejects.toBeInstanceOf(RedisTimeoutError);
    await expect(redis.pipeline([ops.get("k"), ops.ping()])).rejects.toBeInstanceOf(RedisTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("rejects a reply of the wrong shape instead of passing it on", async () => {
    const liar: RedisTransport = { adapter: "ioredis", send: async () => [{ ok: true, value: ["not", "a", "string"] }], close: async () => {} };
    await expect(createRedisPort(liar, { timeoutMs: 50 }).run(ops.get("k"))).rejects.toThrow(/unexpected/);
  });
});
