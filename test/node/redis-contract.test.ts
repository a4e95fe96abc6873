import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createEmbeddedTransport } from "../../src/redis/adapters/embedded";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { createIoRedisClusterTransport } from "../../src/redis/adapters/ioredis-cluster";
import { createUpstashTransport } from "../../src/redis/adapters/upstash";
import { ops } from "../../src/redis/commands";
import { createRedisPort, type RawReply, type RedisPort, type RedisTransport } from "../../src/redis/port";
import { LuaScript } from "../../src/redis/script";
import { startRedisCluster, type RedisClusterHandle } from "../support/redis-cluster";
import { clientsBlockedInWait } from "../support/replication-link";
import { SENTINEL_NAME, startRedisSentinel, type RedisSentinelHandle } from "../support/redis-sentinel";
import { startUpstashRestServer, type UpstashRestServerHandle } from "../support/upstash-rest-server";

/**
 * One contract, five adapters: every assertion below runs unchanged against the embedded
 * store, ioredis on a real redis-server, @upstash/redis through the local REST endpoint over
 * that same server, ioredis's Cluster client on a real three-master Redis Cluster, and ioredis
 * through Sentinel (a real primary, replica and three sentinels).
 */
let rest: UpstashRestServerHandle;
let cluster: RedisClusterHandle;
let sentinel: RedisSentinelHandle;
beforeAll(async () => {
  [rest, cluster, sentinel] = await Promise.all([
    startUpstashRestServer({ redisUrl: inject("redisUrl") }),
    startRedisCluster(),
    startRedisSentinel(),
  ]);
}, 60_000);
afterAll(() => Promise.all([rest.close(), cluster.stop(), sentinel.stop()]));

const adapters: Record<string, () => RedisTransport> = {
  embedded: () => createEmbeddedTransport(),
  ioredis: () => createIoRedisTransport(inject("redisUrl")),
  upstash: () => createUpstashTransport({ url: rest.url, token: rest.token, timeoutMs: 5_000 }),
  // A real three-master Redis Cluster (test/support/redis-cluster.ts).
  cluster: () => createIoRedisClusterTransport(cluster.nodes),
  // A real primary + replica watched by three sentinels (test/support/redis-sentinel.ts).
  sentinel: () => createIoRedisTransport({ sentinels: sentinel.sentinels, name: SENTINEL_NAME }),
};

/**
 * The redis-servers this file started behind an adapter, for what the port never sends
 * (SCRIPT FLUSH). Not the redis-server all test files share (ioredis, Upstash): files that
 * count their round trips would see a NOSCRIPT retry; ioredis-mock has no SCRIPT command.
 */
const ownServers: Record<string, () => Promise<string[]>> = {
  embedded: async () => [],
  ioredis: async () => [],
  upstash: async () => [],
  cluster: async () => cluster.nodes,
  sentinel: async () => [await sentinel.currentPrimary()],
};

const flushScripts = (addresses: string[]) =>
  Promise.all(
    addresses.map(async (address) => {
      const client = new Redis(`redis://${address}`);
      try {
        await client.script("FLUSH");
      } finally {
        client.disconnect();
      }
    }),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const compareAndSet = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

describe.each(Object.keys(adapters))("Redis port contract: %s", (name) => {
  let transport: RedisTransport;
  let redis: RedisPort;
  let prefix: string;
  beforeAll(() => {
    transport = adapters[name]!();
    redis = createRedisPort(transport, { timeoutMs: 5_000 });
  });
  afterAll(() => redis.close());
  const key = (suffix: string) => `${prefix}:${suffix}`;
  // Fresh keys per test, so no test depends on another's leftovers.
  beforeEach(() => {
    prefix = `contract-${crypto.randomUUID()}`;
  });

  it("reports its adapter name (cluster and sentinel clients are ioredis too, as /health says)", () => {
    expect(redis.adapter).toBe(name === "cluster" || name === "sentinel" ? "ioredis" : name);
  });

  it("the transport sends nothing once the caller's deadline has passed", async () => {
    await redis.run(ops.ping()); // connected, so only the deadline can stop the send
    await expect(transport.send([ops.set(key("late"), "sent late").command], Date.now() - 1)).rejects.toThrow(/deadline/);
    expect(await transport.send([ops.get(key("late")).command], Date.now() + 5_000)).toEqual([{ ok: true, value: null }]);
  });

  it("round-trips strings exactly, including unicode and the literal OK", async () => {
    for (const value of ["plain", "héllo ✓ 日本", "OK", "", '{"json":true}']) {
      expect(await redis.run(ops.set(key("s"), value))).toBe(true);
      expect(await redis.run(ops.get(key("s")))).toBe(value);
    }
    expect(await redis.run(ops.get(key("missing")))).toBeNull();
  });

  it("SET NX writes only when the key is absent", async () => {
    expect(await redis.run(ops.set(key("nx"), "first", { nx: true }))).toBe(true);
    expect(await redis.run(ops.set(key("nx"), "second", { nx: true }))).toBe(false);
    expect(await redis.run(ops.get(key("nx")))).toBe("first");
  });

  it("expires keys after their PX time, and PTTL reports it", async () => {
    await redis.run(ops.set(key("px"), "v", { pxMs: 150, nx: true }));
    const ttl = await redis.run(ops.pttl(key("px")));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(150);
    await sleep(300);
    expect(await redis.run(ops.get(key("px")))).toBeNull();
    expect(await redis.run(ops.pttl(key("px")))).toBe(-2);
  });

  it("PEXPIRE adds expiry to an existing key only", async () => {
    await redis.run(ops.set(key("pe"), "v"));
    expect(await redis.run(ops.pttl(key("pe")))).toBe(-1);
    expect(await redis.run(ops.pexpire(key("pe"), 10_000))).toBe(true);
    expect(await redis.run(ops.pttl(key("pe")))).toBeGreaterThan(9_000);
    expect(await redis.run(ops.pexpire(key("absent"), 10_000))).toBe(false);
  });

  it("DEL counts what it removed; MGET keeps positions with nulls", async () => {
    await redis.run(ops.set(key("a"), "1"));
    await redis.run(ops.set(key("b"), "2"));
    expect(await redis.run(ops.mget([key("a"), key("none"), key("b")]))).toEqual(["1", null, "2"]);
    expect(await redis.run(ops.del(key("a"), key("b"), key("none")))).toBe(2);
    expect(await redis.run(ops.mget([key("a"), key("b")]))).toEqual([null, null]);
  });

  it("counts with INCRBY and HINCRBY, and reads hashes whole", async () => {
    expect(await redis.run(ops.incrby(key("n")))).toBe(1);
    expect(await redis.run(ops.incrby(key("n"), 41))).toBe(42);
    expect(await redis.run(ops.hincrby(key("h"), "hits", 3))).toBe(3);
    expect(await redis.run(ops.hincrby(key("h"), "misses"))).toBe(1);
    expect(await redis.run(ops.hgetall(key("h")))).toEqual({ hits: "3", misses: "1" });
    expect(await redis.run(ops.hgetall(key("nohash")))).toEqual({});
  });

  it("keeps sets and capped lists", async () => {
    expect(await redis.run(ops.sadd(key("set"), ["x", "y", "x"]))).toBe(2);
    expect(await redis.run(ops.srem(key("set"), ["x"]))).toBe(1);
    expect(await redis.run(ops.smembers(key("set")))).toEqual(["y"]);
    await redis.run(ops.lpush(key("list"), ["1", "2", "3"]));
    expect(await redis.run(ops.ltrim(key("list"), 0, 1))).toBe(true);
    expect(await redis.run(ops.lrange(key("list"), 0, -1))).toEqual(["3", "2"]);
  });

  it("SCAN walks more than 1,000 keys completely, in several pages", async () => {
    const total = 1_200;
    const writes = Array.from({ length: total }, (_, i) => ops.set(key(`scan:${i}`), String(i)));
    for (let i = 0; i < writes.length; i += 200) await redis.pipeline(writes.slice(i, i + 200));
    await redis.run(ops.set(`other-${prefix}`, "not matched"));

    const seen = new Set<string>();
    let cursor = "0";
    let pages = 0;
    do {
      const page = await redis.run(ops.scan(cursor, key("scan:*"), 100));
      for (const k of page.keys) seen.add(k);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== "0" && pages < 10_000);
    expect(seen.size).toBe(total);
    expect([...seen].every((k) => k.startsWith(`${prefix}:scan:`))).toBe(true);
    expect(pages).toBeGreaterThan(1);
  });

  it("runs Lua scripts atomically with keys and arguments", async () => {
    await redis.run(ops.set(key("cas"), "v1"));
    expect(await redis.run(ops.script(compareAndSet, [key("cas")], ["v1", "v2"]))).toBe(1);
    expect(await redis.run(ops.script(compareAndSet, [key("cas")], ["v1", "v3"]))).toBe(0);
    expect(await redis.run(ops.get(key("cas")))).toBe("v2");
  });

  it("EVALSHA of a script the server does not know answers NOSCRIPT; the port's script op loads it", async () => {
    const script = new LuaScript(`return ARGV[1] .. '-${crypto.randomUUID()}'`);
    const sha = await script.sha1();
    await expect(redis.run(ops.evalsha(sha, [], ["x"]))).rejects.toThrow(/NOSCRIPT/);
    const result = await redis.run(ops.script(script, [], ["x"]));
    expect(result).toMatch(/^x-/);
    // The fallback loaded the script: EVALSHA alone works now.
    expect(await redis.run(ops.evalsha(sha, [], ["x"]))).toBe(result);
  });

  it("a script the server has never seen goes as EVAL, never NOSCRIPT, from batches in many ticks; after SCRIPT FLUSH the EVALSHA fallback answers", async () => {
    const replies: RawReply[] = [];
    const recording: RedisTransport = {
      ...transport,
      send: async (commands, deadline, sync) => {
        const answered = await transport.send(commands, deadline, sync);
        replies.push(...answered);
        return answered;
      },
    };
    // A port of its own: it has sent no script yet, like the app's at its first start.
    const fresh = createRedisPort(recording, { timeoutMs: 5_000 });
    const script = new LuaScript(`redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1] .. '-${crypto.randomUUID()}'`);
    // Callers in ticks of their own, so in batches of their own: the first leave before any
    // answer, later ones after. `slot`: every key in one hash slot (one master of the
    // cluster), else spread over all of them.
    const callers = (slot: "one" | "any") =>
      Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          for (let tick = 0; tick < i; tick++) await new Promise((resolve) => setImmediate(resolve));
          return fresh.run(ops.script(script, [key(slot === "one" ? `{script}:${i}` : `script:${i}`)], [String(i)]));
        }),
      );
    const expected = Array.from({ length: 20 }, (_, i) => expect.stringMatching(new RegExp(`^${i}-`)));
    const noScripts = () => replies.filter((reply) => !reply.ok && /NOSCRIPT/.test(reply.error.message)).length;
    expect(await callers("one")).toEqual(expected);
    // A cluster's other masters have not seen it yet.
    expect(await callers("any")).toEqual(expected);
    expect(noScripts()).toBe(0);

    const servers = await ownServers[name]!();
    if (servers.length === 0) return;
    await flushScripts(servers);
    replies.length = 0;
    expect(await callers("any")).toEqual(expected);
    expect(noScripts()).toBeGreaterThan(0); // the server forgot the script: the fallback ran
  });

  it("DBSIZE counts the database's keys; INFO memory reports used memory, except from the embedded store", async () => {
    const before = await redis.run(ops.dbsize());
    await redis.run(ops.set(key("counted"), "1"));
    // Other tests share the server, so at least one more.
    expect(await redis.run(ops.dbsize())).toBeGreaterThanOrEqual(name === "embedded" ? before + 1 : 1);
    const memory = await redis.run(ops.info("memory"));
    if (name === "embedded") expect(memory).toEqual({});
    else expect(Number(memory.used_memory)).toBeGreaterThan(100_000);
  });

  it.runIf(["ioredis", "cluster", "sentinel"].includes(name))(
    "WAIT after a write counts the replicas that acknowledged it (Sentinel's primary has one; a Cluster master with none has nothing to wait for)",
    async () => {
      const [, acknowledged] = await redis.pipeline([ops.set(key("waited"), "v"), ops.wait(1, name === "sentinel" ? 2_000 : 100)]);
      expect(acknowledged).toBe(name === "ioredis" ? 0 : 1);
    },
  );

  it.runIf(name === "ioredis")(
    "a WAIT holds only its own pipeline: a read issued with it is answered while it waits (no replica here, so it waits its whole second)",
    async () => {
      await redis.pipeline([ops.set(key("before"), "v"), ops.wait(0, 1)]); // the waiting connection is up
      const waited = redis.pipeline([ops.set(key("held"), "w"), ops.wait(1, 1_000)]);
      // Issued in the same tick, which would otherwise share the WAIT's round trip.
      expect(await redis.run(ops.get(key("before")))).toBe("v");
      // Other test files share this server but do not wait for replicas.
      expect(await clientsBlockedInWait(Number(new URL(inject("redisUrl")).port))).toBeGreaterThanOrEqual(1);
      expect((await waited)[1]).toBe(0);
    },
  );

  it("sends a pipeline of independent commands and types each reply", async () => {
    const [written, value, count, missing] = await redis.pipeline([
      ops.set(key("p"), "v"),
      ops.get(key("p")),
      ops.incrby(key("pc"), 5),
      ops.get(key("nothing")),
    ]);
    expect([written, value, count, missing]).toEqual([true, "v", 5, null]);
  });

  it("a pipeline with a script the server has not seen still answers in order", async () => {
    const script = new LuaScript(`return '${crypto.randomUUID()}'`);
    const [before, scripted, after] = await redis.pipeline([ops.incrby(key("o")), ops.script(script, [], []), ops.incrby(key("o"))]);
    expect(before).toBe(1);
    expect(typeof scripted).toBe("string");
    expect(after).toBe(2);
  });

  it("rejects a pipeline when one command fails, after running the others", async () => {
    await redis.run(ops.set(key("text"), "not a number"));
    await expect(redis.pipeline([ops.set(key("ran"), "yes"), ops.incrby(key("text"))])).rejects.toThrow(/integer|ERR/i);
    expect(await redis.run(ops.get(key("ran")))).toBe("yes");
  });
});

describe("Upstash adapter round trips", () => {
  it("sends a pipeline as exactly one HTTP request", async () => {
    const redis = createRedisPort(createUpstashTransport({ url: rest.url, token: rest.token, timeoutMs: 5_000 }), { timeoutMs: 5_000 });
    const k = `rt-${crypto.randomUUID()}`;
    rest.resetRequests();
    await redis.pipeline([ops.set(k, "1"), ops.get(k), ops.incrby(`${k}:n`), ops.ping()]);
    expect(rest.requests).toHaveLength(1);
    expect(rest.requests[0]!.path).toBe("/pipeline");
    expect(rest.requests[0]!.commands.map((c) => c[0]!.toUpperCase())).toEqual(["SET", "GET", "INCRBY", "PING"]);
  });
});
