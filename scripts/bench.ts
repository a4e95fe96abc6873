/**
 * `npm run bench`: the HTTP benchmarks of GET /api/products/:id (cached, uncached with 0 and
 * 5 ms of added database latency) against a bare Hono + one-Redis-GET baseline, a 500-way
 * stampede on one cold key, and a consistency run over 100,000 cached products. Everything
 * runs on loopback against a dedicated redis-server (test/support/redis-server.ts) and a
 * libSQL file in a fresh temp dir; results go to BENCHMARKS.md (generated, never hand-edited).
 *
 * Layout: this process only orchestrates and runs autocannon; every server is a child
 * process (scripts/bench/server.ts, forked with `--import tsx`) so autocannon's CPU use is
 * not charged to the server under test. Scenarios are interleaved round by round.
 *
 * Knobs for trying the harness quickly (the report names any that differ from the defaults):
 * BENCH_DURATION_S (10), BENCH_ROUNDS (3), BENCH_WARMUP_S (3), BENCH_CONNECTIONS (50),
 * BENCH_PROFILE_S (6), BENCH_CONSISTENCY_TOTAL (100000).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type as osType, arch } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { backgroundRunner } from "../src/background";
import { seedIfEmpty } from "../src/catalogue/demo-catalogue";
import { parseConfig } from "../src/config";
import { products as productsTable } from "../src/db/schema";
import { createNodeServices } from "../src/entry/node-server";
import { startRedisServer } from "../test/support/redis-server";
import { cannon, clockTicksPerSecond, machineBusyUs, percentile, redisDelta, redisSnapshot, type CannonResult, type RedisServerSnapshot } from "./bench/measure";
import { summariseProfile, type CpuProfile } from "./bench/profile";
import type { ChildMessage, ChildSpec, ChildStats, ConsistencyResult, ParentMessage } from "./bench/protocol";
import { renderReport, type BenchReport, type RunRecord, type ScenarioReport, type StampedeTrial } from "./bench/report";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const SERVER = fileURLToPath(new URL("./bench/server.ts", import.meta.url));

const numberFrom = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const settings = {
  durationS: numberFrom("BENCH_DURATION_S", 10),
  rounds: numberFrom("BENCH_ROUNDS", 3),
  warmupS: numberFrom("BENCH_WARMUP_S", 3),
  connections: numberFrom("BENCH_CONNECTIONS", 50),
  profileS: numberFrom("BENCH_PROFILE_S", 6),
  profileIntervalUs: 250,
  stampedeConcurrency: 500,
  consistencyTotal: numberFrom("BENCH_CONSISTENCY_TOTAL", 100_000),
  consistencyChunk: 500,
  rateLimitMax: 1_000_000_000,
};
const DEFAULTS = { durationS: 10, rounds: 3, warmupS: 3, connections: 50, profileS: 6, consistencyTotal: 100_000 };

const SETTLE_MS = 300;
const CLOCK_TICKS = clockTicksPerSecond();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

// --- child processes -----------------------------------------------------------------------

type Request = ParentMessage extends infer M ? (M extends unknown ? Omit<M, "id"> : never) : never;

interface Child {
  readonly name: string;
  readonly port: number;
  call(request: Request): Promise<ChildStats | undefined>;
  stats(metrics?: boolean): Promise<ChildStats>;
  stop(): Promise<void>;
  /** The consistency child's result. */
  readonly result: Promise<ConsistencyResult>;
}

const children = new Set<ChildProcess>();
/** Lines each child wrote to stdout/stderr. */
const logLines = new Map<string, number>();
const SHOWN_LOG_LINES = 10;
let tempDir: string | undefined;
// However the run ends: no server left behind (redis-server is killed by test/support's own exit hook), no temp files.
process.on("exit", () => {
  children.forEach((child) => child.kill("SIGKILL"));
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`[bench] ${signal}: stopping`);
    process.exit(130);
  });
}

function startChild(name: string, spec: ChildSpec, execArgv: string[] = []): Promise<Child> {
  const proc = fork(SERVER, [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx", ...execArgv],
    env: { ...process.env, BENCH_CHILD: JSON.stringify(spec) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  children.add(proc);
  // The servers log at LOG_LEVEL=error: show the first lines, count the rest (a broken build can log one per request).
  logLines.set(name, 0);
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream! }).on("line", (line) => {
      const count = (logLines.get(name) ?? 0) + 1;
      logLines.set(name, count);
      if (count <= SHOWN_LOG_LINES) console.error(`[${name}] ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
      else if (count === SHOWN_LOG_LINES + 1) console.error(`[${name}] … further output counted, not shown`);
    });
  }
  let nextId = 1;
  const pending = new Map<number, { resolve: (stats: ChildStats | undefined) => void; reject: (error: Error) => void }>();
  let resolveResult!: (result: ConsistencyResult) => void;
  let rejectResult!: (error: Error) => void;
  const result = new Promise<ConsistencyResult>((resolve, reject) => ((resolveResult = resolve), (rejectResult = reject)));
  result.catch(() => {});
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));

  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      reject(error);
      rejectResult(error);
      pending.forEach((waiter) => waiter.reject(error));
      pending.clear();
    };
    proc.on("message", (message: ChildMessage) => {
      switch (message.type) {
        case "ready":
          resolve(child(message.port));
          break;
        case "failed":
          fail(new Error(`${name}: ${message.error}`));
          break;
        case "consistency":
          resolveResult(message.result);
          break;
        case "reply": {
          const waiter = pending.get(message.id);
          pending.delete(message.id);
          if (message.error) waiter?.reject(new Error(`${name}: ${message.error}`));
          else waiter?.resolve(message.stats);
          break;
        }
      }
    });
    proc.once("exit", (code, signal) => {
      children.delete(proc);
      fail(new Error(`${name} exited (${signal ?? `code ${code}`})`));
    });
    if (spec.mode === "consistency") resolve(child(0));

    function child(port: number): Child {
      const call = (request: Request) =>
        new Promise<ChildStats | undefined>((resolveCall, rejectCall) => {
          const id = nextId++;
          pending.set(id, { resolve: resolveCall, reject: rejectCall });
          proc.send({ ...request, id } as ParentMessage);
        });
      return {
        name,
        port,
        call,
        result,
        stats: async (metrics = false) => {
          const stats = await call({ type: "stats", metrics });
          if (!stats) throw new Error(`${name}: no stats`);
          return stats;
        },
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          await call({ type: "exit" }).catch(() => {});
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
          if (proc.exitCode === null) proc.kill("SIGKILL");
        },
      };
    }
  });
}

// --- machine -----------------------------------------------------------------------------

function machine(redisVersion: string) {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    } catch {
      return undefined;
    }
  })();
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ramGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${osRelease ?? osType()} (${osType()} ${release()}, ${arch()})`,
    redis: redisVersion,
    packages: Object.fromEntries(["autocannon", "hono", "@hono/node-server", "ioredis", "@libsql/client", "drizzle-orm", "@upstash/ratelimit", "tsx"].map((p) => [p, version(p)])),
  };
}

// --- the run -----------------------------------------------------------------------------

interface Scenario {
  key: string;
  child: Child;
  path: (id: string) => string;
}

function statsDelta(before: ChildStats, after: ChildStats) {
  return {
    served: after.served - before.served,
    cpuUs: after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs,
    mainThreadCpuUs: after.mainThreadCpuUs !== undefined && before.mainThreadCpuUs !== undefined ? after.mainThreadCpuUs - before.mainThreadCpuUs : undefined,
    roundTrips: after.roundTrips - before.roundTrips,
    commands: after.commands - before.commands,
    issuedRoundTrips: after.issuedRoundTrips - before.issuedRoundTrips,
    issuedCommands: after.issuedCommands - before.issuedCommands,
    loads: after.loads - before.loads,
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const temp = (tempDir = mkdtempSync(join(tmpdir(), "jollyjet-bench-")));
  const redisServer = await startRedisServer();
  const admin = new Redis(redisServer.url, { protocol: 2 });
  const info = await admin.info("server");
  const redisVersion = /^redis_version:(.*)$/m.exec(info)?.[1]?.trim() ?? "?";
  log(`redis-server ${redisVersion} on ${redisServer.url}; temp dir ${temp}`);

  const run = crypto.randomUUID().slice(0, 8);
  const prefix = `bench-${run}`;
  const databaseUrl = `file:${join(temp, "catalogue.db")}`;
  const appEnv = (redisPrefix: string): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: "error",
    RATE_LIMIT_MAX: String(settings.rateLimitMax),
  });

  try {
    // The demo catalogue (240 products), created through the catalogue: each create writes
    // the product through to the cache under `prefix`, so the cached scenario starts warm.
    const ids = await (async () => {
      const { services, close } = await createNodeServices(parseConfig(appEnv(prefix)));
      try {
        await seedIfEmpty(services.catalogue, backgroundRunner(services.logger));
        return (await services.db.select({ id: productsTable.id }).from(productsTable)).map((row) => row.id);
      } finally {
        await close();
      }
    })();
    log(`seeded ${ids.length} demo products into ${databaseUrl}`);

    // --- HTTP scenarios -----------------------------------------------------------------
    const baseline = await startChild("baseline", { mode: "baseline", redisUrl: redisServer.url, productPrefix: prefix });
    const cached = await startChild("cached", { mode: "app", env: appEnv(prefix), dbLatencyMs: 0, productCache: true });
    const uncached0 = await startChild("uncached-0ms", { mode: "app", env: appEnv(`${prefix}-u0`), dbLatencyMs: 0, productCache: false });
    const uncached5 = await startChild("uncached-5ms", { mode: "app", env: appEnv(`${prefix}-u5`), dbLatencyMs: 5, productCache: false });
    const layer = await startChild("redis-layer", { mode: "redis-layer", redisUrl: redisServer.url, prefix: `${prefix}-l`, productPrefix: prefix, rateLimitMax: settings.rateLimitMax });
    const scenarios: Scenario[] = [
      { key: "baseline", child: baseline, path: (id) => `/base/${id}` },
      { key: "cached", child: cached, path: (id) => `/api/products/${id}` },
      { key: "uncached-0ms", child: uncached0, path: (id) => `/api/products/${id}` },
      { key: "uncached-5ms", child: uncached5, path: (id) => `/api/products/${id}` },
      { key: "redis-layer", child: layer, path: (id) => `/layer/${id}` },
    ];
    log(`servers up: ${scenarios.map((s) => `${s.key} :${s.child.port}`).join(", ")}`);

    const headerNames = async (url: string) => [...(await fetch(url)).headers.keys()];
    const responseHeaders = {
      baseline: await headerNames(`http://127.0.0.1:${baseline.port}/base/${ids[0]!}`),
      cached: await headerNames(`http://127.0.0.1:${cached.port}/api/products/${ids[0]!}`),
    };

    // Every request takes the next id: 50 connections in flight ask for 50 different products.
    let next = 0;
    const rotating = (scenario: Scenario) => () => scenario.path(ids[next++ % ids.length]!);

    for (const scenario of scenarios) {
      log(`warm-up ${scenario.key} (${settings.warmupS} s)`);
      const warm = await cannon({ port: scenario.child.port, connections: settings.connections, duration: settings.warmupS, path: rotating(scenario) });
      if (warm.non2xx > 0 || warm.errors > 0) log(`  warm-up ${scenario.key}: ${warm.non2xx} non-2xx, ${warm.errors} errors ${JSON.stringify(warm.statusCodes)}`);
    }

    const runs = new Map<string, RunRecord[]>(scenarios.map((s) => [s.key, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      // Rotate the order every round so no scenario always runs first or last.
      const order = scenarios.map((_, i) => scenarios[(i + round - 1) % scenarios.length]!);
      for (const scenario of order) {
        const before = await scenario.child.stats();
        const redisBefore = await redisSnapshot(admin);
        const cpuBefore = process.cpuUsage();
        const machineBefore = machineBusyUs(CLOCK_TICKS);
        const wallBefore = performance.now();
        const result = await cannon({ port: scenario.child.port, connections: settings.connections, duration: settings.durationS, path: rotating(scenario) });
        // Let requests still queued in the server finish their Redis work before counting.
        await sleep(SETTLE_MS);
        const cpuAfter = process.cpuUsage(cpuBefore);
        const machineAfter = machineBusyUs(CLOCK_TICKS);
        const wallUs = (performance.now() - wallBefore) * 1000;
        const redisAfter = await redisSnapshot(admin);
        const after = await scenario.child.stats();
        const delta = statsDelta(before, after);
        const redis = redisDelta(redisBefore, redisAfter);
        const ours = delta.cpuUs + redis.cpuUs + cpuAfter.user + cpuAfter.system;
        // CPU the rest of the machine used meanwhile (other processes), in cores.
        const otherCores = machineBefore === undefined || machineAfter === undefined ? Number.NaN : Math.max(0, machineAfter - machineBefore - ours) / wallUs;
        const record = toRecord(round, result, delta, redis, cpuAfter.user + cpuAfter.system, otherCores);
        runs.get(scenario.key)!.push(record);
        log(
          `round ${round} ${scenario.key.padEnd(13)} ${record.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${record.p50.toFixed(2)} ms  p99 ${record.p99.toFixed(2)} ms  ` +
            `non-2xx ${record.non2xx}  rt/req ${(record.roundTrips / record.served).toFixed(3)}  cmd/req ${(record.commands / record.served).toFixed(3)}  ` +
            `server CPU ${record.serverCpuUsPerRequest.toFixed(0)} µs/req (main thread ${record.mainThreadCpuUsPerRequest.toFixed(0)})  other processes ${record.otherCores.toFixed(2)} cores`,
        );
      }
    }
    const metrics = {
      cached: (await cached.stats(true)).metrics,
      "uncached-0ms": (await uncached0.stats(true)).metrics,
      "uncached-5ms": (await uncached5.stats(true)).metrics,
    };

    // --- CPU profiles of the floor, the Redis layer and the full stack under the same load ---
    const profiles: BenchReport["profiles"] = [];
    for (const scenario of [scenarios[0]!, scenarios[4]!, scenarios[1]!, scenarios[2]!]) {
      log(`profiling ${scenario.key} (${settings.profileS} s)`);
      const file = join(temp, `${scenario.key}.cpuprofile`);
      // The CPU window is inside the profile: starting it and serialising it on stop are not counted.
      await scenario.child.call({ type: "profile-start", intervalUs: settings.profileIntervalUs });
      const before = await scenario.child.stats();
      const result = await cannon({ port: scenario.child.port, connections: settings.connections, duration: settings.profileS, path: rotating(scenario) });
      await sleep(SETTLE_MS);
      const after = await scenario.child.stats();
      await scenario.child.call({ type: "profile-stop", file });
      const delta = statsDelta(before, after);
      const summary = summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, ROOT);
      profiles.push({ key: scenario.key, served: delta.served, reqPerSec: result.responses / result.seconds, mainThreadCpuUs: delta.mainThreadCpuUs, summary });
    }
    for (const scenario of scenarios) await scenario.child.stop();

    // --- stampede: 500 concurrent cold reads of one key -----------------------------------
    const stampede = await startChild("stampede", { mode: "app", env: appEnv(`${prefix}-s`), dbLatencyMs: 0, productCache: true });
    const trials: StampedeTrial[] = [];
    {
      // Warm the server's code paths on other products; the trial keys stay cold.
      const trialIds = ids.slice(0, 6);
      const others = ids.slice(6);
      let k = 0;
      await cannon({ port: stampede.port, connections: settings.connections, duration: 2, path: () => `/api/products/${others[k++ % others.length]!}` });
      for (const [i, id] of trialIds.entries()) {
        const latencyMs = i < 3 ? 5 : 0;
        await stampede.call({ type: "set-latency", ms: latencyMs });
        const before = await stampede.stats();
        const result = await cannon({ port: stampede.port, connections: settings.stampedeConcurrency, amount: settings.stampedeConcurrency, path: () => `/api/products/${id}`, collectCache: true });
        await sleep(SETTLE_MS);
        const after = await stampede.stats();
        const sorted = [...result.latencies].sort((a, b) => a - b);
        trials.push({
          dbLatencyMs: latencyMs,
          requests: result.responses,
          non2xx: result.non2xx,
          errors: result.errors,
          loads: after.loads - before.loads,
          cache: result.cache,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1] ?? Number.NaN,
        });
        log(`stampede +${latencyMs} ms: ${result.responses} responses, ${after.loads - before.loads} database load(s), p99 ${percentile(sorted, 99).toFixed(1)} ms, X-Cache ${JSON.stringify(result.cache)}`);
      }
    }
    await stampede.stop();

    // --- consistency run over 100,000 cached products -------------------------------------
    log(`consistency: inserting and caching ${settings.consistencyTotal} products, then one run`);
    const consistencyChild = await startChild(
      "consistency",
      {
        mode: "consistency",
        env: { ...appEnv(`${prefix}-c`), DATABASE_URL: `file:${join(temp, "consistency.db")}` },
        total: settings.consistencyTotal,
        chunk: settings.consistencyChunk,
      },
      ["--expose-gc"],
    );
    const consistency = await consistencyChild.result;
    await consistencyChild.stop();
    log(`consistency: ${consistency.report.scanned} keys in ${consistency.runSeconds.toFixed(2)} s = ${(consistency.report.scanned / consistency.runSeconds).toFixed(0)} keys/s, peak RSS ${(consistency.rssPeak / 2 ** 20).toFixed(0)} MiB`);

    const scenarioReports: ScenarioReport[] = scenarios.map((s) => ({ key: s.key, runs: runs.get(s.key)! }));
    const report: BenchReport = {
      generatedAt: new Date(),
      wallSeconds: (Date.now() - started) / 1000,
      machine: machine(redisVersion),
      loadBefore,
      loadAfter: loadavg(),
      settings,
      nonDefault: Object.entries(DEFAULTS)
        .filter(([name, value]) => settings[name as keyof typeof DEFAULTS] !== value)
        .map(([name]) => `${name}=${settings[name as keyof typeof DEFAULTS]}`),
      products: ids.length,
      responseHeaders,
      logLines: Object.fromEntries(logLines),
      scenarios: scenarioReports,
      metrics,
      profiles,
      stampede: trials,
      consistency,
    };
    const file = join(ROOT, "BENCHMARKS.md");
    writeFileSync(file, renderReport(report));
    log(`wrote ${file} (${report.wallSeconds.toFixed(0)} s end to end)`);
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await admin.quit().catch(() => {});
    await redisServer.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

function toRecord(round: number, result: CannonResult, delta: ReturnType<typeof statsDelta>, redis: RedisServerSnapshot, cannonCpuUs: number, otherCores: number): RunRecord {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const served = Math.max(1, delta.served);
  return {
    round,
    seconds: result.seconds,
    responses: result.responses,
    reqPerSec: result.responses / result.seconds,
    bytesPerResponse: result.bytes / Math.max(1, result.responses),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes: result.statusCodes,
    served: delta.served,
    roundTrips: delta.roundTrips,
    commands: delta.commands,
    issuedRoundTrips: delta.issuedRoundTrips,
    issuedCommands: delta.issuedCommands,
    loads: delta.loads,
    serverCpuUsPerRequest: delta.cpuUs / served,
    mainThreadCpuUsPerRequest: delta.mainThreadCpuUs === undefined ? Number.NaN : delta.mainThreadCpuUs / served,
    redisCpuUsPerRequest: redis.cpuUs / served,
    cannonCpuUsPerRequest: cannonCpuUs / served,
    otherCores,
    redisCommands: redis.commands,
  };
}


await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
