import { createHash } from "node:crypto";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { ops } from "../../src/redis/commands";
import { createRedisPort, RedisCircuitOpenError, RedisTimeoutError, type RawReply, type RedisTransport } from "../../src/redis/port";
import { LuaScript } from "../../src/redis/script";

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
    const liar: RedisTransport = {
      adapter: "ioredis",
      send: async () => [{ ok: true, value: ["not", "a", "string"] }],
      close: async () => {},
    };
    await expect(createRedisPort(liar, { timeoutMs: 50 }).run(ops.get("k"))).rejects.toThrow(/unexpected/);
  });
});

describe("scripts", () => {
  /**
   * A script cache as Redis keeps one (EVAL caches its script, EVALSHA of another answers
   * NOSCRIPT), behind a transport that, while `slow`, answers only once the batch's deadline
   * has passed, holding the event loop meanwhile: what the embedded store did with the long
   * batches of the first start's seeding (issue 22), too late for a NOSCRIPT retry.
   */
  function scriptServer() {
    const server = { cached: new Set<string>(), sent: [] as string[][], slow: true };
    const transport: RedisTransport = {
      adapter: "embedded",
      send: async (commands, deadline) => {
        server.sent.push(commands.map((command) => command.name));
        while (server.slow && Date.now() <= deadline); // busy: no timer can fire meanwhile
        return commands.map((command): RawReply => {
          if (command.name === "eval") server.cached.add(createHash("sha1").update(command.source).digest("hex"));
          if (command.name === "eval" || (command.name === "evalsha" && server.cached.has(command.sha))) return { ok: true, value: 1 };
          return {
            ok: false,
            error: new Error(command.name === "evalsha" ? "NOSCRIPT No matching script. Please use EVAL." : `unexpected ${command.name}`),
          };
        });
      },
      close: async () => {},
    };
    return { server, transport };
  }

  it("a script the server has not run goes as EVAL, answered even after the deadline; then EVALSHA, and EVAL again on NOSCRIPT", async () => {
    const { server, transport } = scriptServer();
    const redis = createRedisPort(transport, { timeoutMs: 30 });
    const script = new LuaScript(`return 1`);
    expect(await redis.run(ops.script(script, [], []))).toBe(1);
    expect(await redis.run(ops.script(script, [], []))).toBe(1);
    expect(server.sent).toEqual([["eval"], ["evalsha"]]);

    server.slow = false;
    server.cached.clear(); // SCRIPT FLUSH, or a restart
    server.sent.length = 0;
    expect(await redis.run(ops.script(script, [], []))).toBe(1);
    expect(await redis.run(ops.script(script, [], []))).toBe(1);
    expect(server.sent).toEqual([["evalsha"], ["eval"], ["evalsha"]]);
  });
});

describe("circuit breaker", () => {
  it("opens after repeated failures, refuses without trying, then lets one probe close it", async () => {
    let calls = 0;
    let healthy = false;
    const flaky: RedisTransport = {
      adapter: "ioredis",
      send: async (commands) => {
        calls += 1;
        if (!healthy) throw new Error("connection refused");
        return commands.map(() => ({ ok: true, value: "PONG" }));
      },
      close: async () => {},
    };
    const states: string[] = [];
    const redis = createRedisPort(flaky, {
      timeoutMs: 100,
      breaker: { failureThreshold: 3, openMs: 200 },
      onCircuitChange: (state) => states.push(state),
    });
    for (let i = 0; i < 3; i++) await expect(redis.run(ops.ping())).rejects.toThrow("connection refused");
    expect(calls).toBe(3);
    await expect(redis.run(ops.ping())).rejects.toBeInstanceOf(RedisCircuitOpenError);
    expect(calls).toBe(3); // refused without a round trip

    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(redis.run(ops.ping())).rejects.toThrow("connection refused"); // the probe fails: open again
    expect(calls).toBe(4);
    await expect(redis.run(ops.ping())).rejects.toBeInstanceOf(RedisCircuitOpenError);

    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await redis.run(ops.ping())).toBe(true); // the probe succeeds: closed
    expect(await redis.run(ops.ping())).toBe(true);
    expect(calls).toBe(6);
    // Told once each, whatever the failed probe in between (the log lines of an outage).
    expect(states).toEqual(["open", "closed"]);
  });

  it("does not count a command's error reply as a failure of Redis", async () => {
    const answering: RedisTransport = {
      adapter: "ioredis",
      send: async (commands) => commands.map(() => ({ ok: false, error: new Error("WRONGTYPE") })),
      close: async () => {},
    };
    const redis = createRedisPort(answering, { timeoutMs: 100, breaker: { failureThreshold: 1, openMs: 10_000 } });
    for (let i = 0; i < 3; i++) await expect(redis.run(ops.get("k"))).rejects.toThrow("WRONGTYPE");
  });
});

describe("one round trip per tick (against redis-server)", () => {
  const sent: number[] = [];
  const inner = createIoRedisTransport(inject("redisUrl"));
  const counting: RedisTransport = {
    ...inner,
    send: (commands, deadline) => {
      sent.push(commands.length);
      return inner.send(commands, deadline);
    },
  };
  const redis = createRedisPort(counting, { timeoutMs: 5_000 });
  const key = (name: string) => `port-${crypto.randomUUID()}:${name}`;
  afterAll(() => redis.close());
  beforeEach(async () => {
    await redis.run(ops.ping()); // connected
    sent.length = 0;
  });

  it("independent callers in the same tick share one round trip, each getting its own reply, in issue order", async () => {
    const k = key("shared");
    const written = redis.run(ops.set(k, "v1"));
    // Another caller a few microtasks later (as a middleware after awaiting a memoized hash).
    const read = (async () => {
      await Promise.resolve();
      await Promise.resolve();
      return redis.run(ops.get(k));
    })();
    const both = redis.pipeline([ops.incrby(key("counter")), ops.get(k)]);
    expect(await Promise.all([written, read, both])).toEqual([true, "v1", [1, "v1"]]);
    expect(sent).toEqual([4]);
  });

  it("a caller that waits for a reply sends its next command in a later round trip", async () => {
    await redis.run(ops.ping());
    await redis.run(ops.ping());
    expect(sent).toEqual([1, 1]);
  });

  it("one command's error reply fails only its own caller", async () => {
    const k = key("hash");
    await redis.run(ops.hincrby(k, "field"));
    sent.length = 0;
    const [wrongType, ping] = await Promise.allSettled([redis.run(ops.get(k)), redis.run(ops.ping())]);
    expect(wrongType.status).toBe("rejected");
    expect(ping).toEqual({ status: "fulfilled", value: true });
    expect(sent).toEqual([2]);
  });

  it("a very large tick is split into bounded round trips, every reply still delivered", async () => {
    const replies = await Promise.all(Array.from({ length: 1_200 }, () => redis.run(ops.ping())));
    expect(replies.every((reply) => reply === true)).toBe(true);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1_200);
  });
});
