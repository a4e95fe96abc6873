/**
 * A benchmark child process (forked by scripts/bench.ts with `--import tsx`): one server or
 * job per process, so autocannon's own CPU use stays in the parent and each server's CPU
 * time can be measured on its own. The spec comes in BENCH_CHILD (JSON, see protocol.ts);
 * requests from the parent arrive over IPC.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { createApp } from "../../src/app";
import { backgroundRunner } from "../../src/background";
import { decodeEntry, encodeEntry } from "../../src/cache/entry";
import { CACHE_SCHEMA } from "../../src/catalogue/types";
import { parseConfig } from "../../src/config";
import { createProductRepository } from "../../src/db/products";
import { products as productsTable } from "../../src/db/schema";
import { createNodeServices } from "../../src/entry/node-server";
import { createLogger } from "../../src/logger";
import { createRateLimiter } from "../../src/ratelimit/rate-limiter";
import { createIoRedisTransport } from "../../src/redis/adapters/ioredis";
import { ops } from "../../src/redis/commands";
import { createRedisKeys } from "../../src/redis/keys";
import { createRedisPort } from "../../src/redis/port";
import { clockTicksPerSecond } from "./measure";
import type { ChildMessage, ChildSpec, ChildStats, ConsistencyResult, ParentMessage, RedisCounters } from "./protocol";
import { countingTransport, newCounters, newDatabaseProbe, probedRepository, productCacheDisabled, type DatabaseProbe } from "./wrappers";
import { bulkProductRows } from "../../test/support/bulk-products";

const spec = JSON.parse(process.env.BENCH_CHILD ?? "null") as ChildSpec | null;
if (!spec) throw new Error("scripts/bench/server.ts is started by scripts/bench.ts (BENCH_CHILD is missing)");

const send = (message: ChildMessage) => process.send?.(message);
// The parent is gone: nothing left to serve.
process.on("disconnect", () => process.exit(0));

interface Running {
  server?: ReturnType<typeof serve>;
  counters: RedisCounters;
  probe?: DatabaseProbe;
  metrics?: () => Promise<Record<string, number>>;
  close: () => Promise<void>;
}

let served = 0;

const clockTicks = clockTicksPerSecond();

/** utime + stime of this process's main thread (its task id is the pid), µs; undefined without /proc. */
function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return undefined;
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: ReturnType<typeof serve>; port: number }> {
  return new Promise((resolve) => {
    // Bound to loopback only; otherwise exactly how startNodeServer serves the app.
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve({ server, port: info.port }));
    server.on("request", () => (served += 1));
  });
}

const closeServer = (server: ReturnType<typeof serve> | undefined) =>
  new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });

/** Serves `fetch` on loopback, tells the orchestrator it is ready, and stops the server before `release` on close. */
async function serveAndReport(
  fetch: (request: Request) => Response | Promise<Response>,
  running: Omit<Running, "server" | "close">,
  release: () => Promise<unknown>,
): Promise<Running> {
  const { server, port } = await listen(fetch);
  send({ type: "ready", port });
  return {
    ...running,
    server,
    close: async () => {
      await closeServer(server);
      await release();
    },
  };
}

/** The floor: a bare Hono app whose handler does one ioredis GET (RESP2, no pipelining) and returns the value. */
async function startBaseline(s: Extract<ChildSpec, { mode: "baseline" }>): Promise<Running> {
  const client = new Redis(s.redisUrl, { protocol: 2 });
  const counters = newCounters();
  const keys = createRedisKeys(s.productPrefix);
  const app = new Hono();
  app.get("/base/:id", async (c) => {
    counters.issuedRoundTrips += 1;
    counters.issuedCommands += 1;
    counters.roundTrips += 1;
    counters.commands += 1;
    const value = await client.get(keys.product(c.req.param("id")));
    if (value === null) return c.text("not cached", 404);
    return c.body(value, 200, { "content-type": "application/json; charset=UTF-8" });
  });
  return serveAndReport(app.fetch, { counters }, () => client.quit());
}

/** Diagnostic: the app's Redis work for a cached read (rate-limit check + product GET, one pipeline) and nothing else. */
async function startRedisLayer(s: Extract<ChildSpec, { mode: "redis-layer" }>): Promise<Running> {
  const counters = newCounters();
  const redis = createRedisPort(countingTransport(createIoRedisTransport(s.redisUrl), counters), { timeoutMs: 500 });
  const keys = createRedisKeys(s.prefix);
  const productKeys = createRedisKeys(s.productPrefix);
  const limiter = createRateLimiter({
    keys,
    policies: {
      default: { name: "default", limit: s.rateLimitMax, windowSeconds: 60, failMode: "open" },
      auth: { name: "auth", limit: 5, windowSeconds: 900, failMode: "closed" },
    },
  });
  const background = backgroundRunner(createLogger({ level: "error" }));
  const app = new Hono();
  app.get("/layer/:id", async (c) => {
    const batch = redis.batch();
    const decision = limiter.check(batch, "default", "ip:bench", background);
    const raw = batch.run(ops.get(productKeys.product(c.req.param("id"))));
    batch.flush();
    const [admitted, value] = await Promise.all([decision, raw]);
    if (!admitted.success) return c.text("limited", 429);
    const entry = value === null ? undefined : decodeEntry<unknown>(value, CACHE_SCHEMA);
    if (entry?.kind !== "entry") return c.text("not cached", 404);
    return c.json({ status: "success", data: entry.value }, 200);
  });
  return serveAndReport(app.fetch, { counters }, () => redis.close());
}

/** The full app, wired as startNodeServer does (minus the consistency cron and demo seeding). */
async function startApp(s: Extract<ChildSpec, { mode: "app" }>): Promise<Running> {
  const counters = newCounters();
  const probe = newDatabaseProbe(s.dbLatencyMs);
  const config = parseConfig(s.env);
  const answer = s.productCache ? undefined : productCacheDisabled(config.REDIS_PREFIX);
  const { services, close } = await createNodeServices(config, {
    wrapRedis: (transport) => countingTransport(transport, counters, answer),
    wrapProducts: (repository) => probedRepository(repository, probe),
  });
  const app = createApp(services);
  return serveAndReport(app.fetch, { counters, probe, metrics: async () => ({ ...(await services.metrics.totals()) }) }, close);
}

/** 100k (`total`) products in the libSQL file, all cached, then one timed consistency run with memory sampled every 20 ms. */
async function runConsistencyJob(s: Extract<ChildSpec, { mode: "consistency" }>): Promise<void> {
  const probe = newDatabaseProbe(0);
  const { services, close } = await createNodeServices(parseConfig(s.env), { wrapProducts: (repository) => probedRepository(repository, probe) });
  try {
    const { db, redis, keys } = services;
    const repository = createProductRepository(db);
    const now = Date.now();
    let insertMs = 0;
    let fillMs = 0;
    for (let start = 0; start < s.total; start += s.chunk) {
      const rows = bulkProductRows({ start, count: Math.min(s.chunk, s.total - start), now, label: "Bench" });
      let t = performance.now();
      await db.insert(productsTable).values(rows);
      insertMs += performance.now() - t;
      t = performance.now();
      // As the 20k test does: cache exactly what the repository reads back, one pipeline per chunk.
      const loaded = await repository.findByIds(rows.map((row) => row.id));
      await redis.pipeline(
        loaded.map((product) =>
          ops.set(keys.product(product.id), encodeEntry({ kind: "entry", version: product.version, freshUntil: now + 3_600_000, schema: CACHE_SCHEMA, value: product }), { pxMs: 3_600_000 }),
        ),
      );
      fillMs += performance.now() - t;
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    let rssPeak = before.rss;
    let heapPeak = before.heapUsed;
    let samples = 0;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      rssPeak = Math.max(rssPeak, usage.rss);
      heapPeak = Math.max(heapPeak, usage.heapUsed);
      samples += 1;
    }, 20);
    Object.assign(probe, { loads: 0, batches: 0, largestBatch: 0 });
    const started = performance.now();
    const report = await services.runConsistency("manual");
    const runSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = process.memoryUsage();
    rssPeak = Math.max(rssPeak, after.rss);
    heapPeak = Math.max(heapPeak, after.heapUsed);
    gc?.();
    const settled = process.memoryUsage();
    const result: ConsistencyResult = {
      total: s.total,
      insertSeconds: insertMs / 1000,
      cacheFillSeconds: fillMs / 1000,
      runSeconds,
      report: {
        scanned: report.scanned,
        consistent: report.consistent,
        stale: report.stale,
        orphaned: report.orphaned,
        corrupt: report.corrupt,
        score: report.score,
        complete: report.complete,
        errors: report.errors,
      },
      rssBefore: before.rss,
      rssPeak,
      heapBefore: before.heapUsed,
      heapPeak,
      rssAfterGc: settled.rss,
      heapAfterGc: settled.heapUsed,
      samples,
      largestBatch: probe.largestBatch,
      batches: probe.batches,
    };
    send({ type: "consistency", result });
  } finally {
    await close();
  }
}

// --- IPC ---------------------------------------------------------------------------------

let running: Running | undefined;
let profiler: Session | undefined;

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

async function handle(message: ParentMessage): Promise<ChildStats | undefined> {
  switch (message.type) {
    case "stats": {
      const cpu = process.cpuUsage();
      const r = running;
      return {
        served,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        mainThreadCpuUs: mainThreadCpuUs(),
        ...(r?.counters ?? newCounters()),
        loads: r?.probe?.loads ?? 0,
        ...(message.metrics && r?.metrics ? { metrics: await r.metrics() } : {}),
      };
    }
    case "set-latency":
      if (running?.probe) running.probe.latencyMs = message.ms;
      return undefined;
    case "profile-start":
      profiler = new Session();
      profiler.connect();
      await post(profiler, "Profiler.enable");
      await post(profiler, "Profiler.setSamplingInterval", { interval: message.intervalUs });
      await post(profiler, "Profiler.start");
      return undefined;
    case "profile-stop": {
      if (!profiler) throw new Error("no profile running");
      const { profile } = await post<{ profile: unknown }>(profiler, "Profiler.stop");
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(message.file, JSON.stringify(profile));
      return undefined;
    }
    case "exit":
      await running?.close();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on("message", (message: ParentMessage) => {
  handle(message).then(
    (stats) => send({ id: message.id, type: "reply", ...(stats ? { stats } : {}) }),
    (error: unknown) => send({ id: message.id, type: "reply", error: String((error as Error)?.stack ?? error) }),
  );
});

try {
  switch (spec.mode) {
    case "baseline":
      running = await startBaseline(spec);
      break;
    case "redis-layer":
      running = await startRedisLayer(spec);
      break;
    case "app":
      running = await startApp(spec);
      break;
    case "consistency":
      running = { counters: newCounters(), close: async () => {} };
      await runConsistencyJob(spec);
      break;
  }
} catch (error) {
  send({ type: "failed", error: String((error as Error)?.stack ?? error) });
  setImmediate(() => process.exit(1));
}
