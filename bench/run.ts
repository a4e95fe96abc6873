/**
 * `npm run bench` → BENCHMARKS.md: the real app's cached GET /api/products/:id side by side
 * with four peers that serve the same product JSON from the same redis-server, plus a stampede
 * of cold reads, one consistency run and a CPU profile of the app. This process seeds the data,
 * runs autocannon and writes the report; every server is a child process (bench/server.ts).
 * Knobs for quick trials (the report names any that differ from the defaults in KNOBS):
 * BENCH_DURATION_S, BENCH_ROUNDS, BENCH_WARMUP_S, BENCH_CONNECTIONS, and BENCH_PROFILE_S,
 * BENCH_STAMPEDE_TRIALS, BENCH_CONSISTENCY_PRODUCTS, BENCH_CLUSTER, BENCH_WAIT (0 skips that part).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createApp } from "../src/app";
import { backgroundRunner } from "../src/background";
import { seedIfEmpty } from "../src/catalogue/demo-catalogue";
import { hashPassword } from "../src/auth/password";
import { parseConfig } from "../src/config";
import { hostAndPort } from "../src/redis/adapters/ioredis";
import { createNodeServices } from "../src/entry/node-server";
import calculateSlot from "cluster-key-slot";
import { startRedisCluster } from "../test/support/redis-cluster";
import { startRedisServer } from "../test/support/redis-server";
import { untilReplicaInSync } from "../test/support/replication-link";
import { cannon, machine, machineBusyUs, percentile, readRedis, redisDelta } from "./measure";
import type { PeerName } from "./peers";
import { summariseProfile, type CpuProfile } from "./profile";
import { renderReport, type ClusterResult, type ReplicaWaitRun, type Run, type ScenarioKey } from "./report";
import type { ConsistencyResult, FromChild, Request, ServerRuntime, Spec, Stats } from "./server";

const KNOBS = {
  BENCH_DURATION_S: 10,
  BENCH_ROUNDS: 3,
  BENCH_WARMUP_S: 3,
  BENCH_CONNECTIONS: 50,
  BENCH_PROFILE_S: 5,
  BENCH_STAMPEDE_TRIALS: 3,
  BENCH_CONSISTENCY_PRODUCTS: 2000,
  BENCH_CLUSTER: 1,
  BENCH_WAIT: 1,
};
const knob = (name: keyof typeof KNOBS) => {
  const value = Number(process.env[name] || KNOBS[name]);
  if (!Number.isInteger(value) || value < (/DURATION|ROUNDS|CONNECTIONS/.test(name) ? 1 : 0))
    throw new Error(`${name} must be a whole number${/DURATION|ROUNDS|CONNECTIONS/.test(name) ? " ≥ 1" : " ≥ 0 (0 skips it)"}`);
  return value;
};
const settings = Object.fromEntries(Object.keys(KNOBS).map((name) => [name, knob(name as keyof typeof KNOBS)])) as typeof KNOBS;
const RATE_LIMIT = 1_000_000_000;
const STAMPEDE = { connections: 500, dbLatencyMs: 5 };
/** Connections that PATCH products while the others read (the replica-wait comparison). */
const WRITE_CONNECTIONS = 5;
const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const started = Date.now();
const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const n0 = (value: number) => value.toFixed(0);

/** Which master serves a slot, from CLUSTER SLOTS. */
async function clusterSlotOwners(node: string): Promise<(slot: number) => string> {
  const client = new Redis({ ...hostAndPort(node), protocol: 2 });
  try {
    const ranges = (await client.call("cluster", "slots")) as [number, number, [string, number]][];
    return (slot) => {
      const range = ranges.find(([start, end]) => slot >= start && slot <= end);
      return range ? `${range[2][0]}:${range[2][1]}` : "?";
    };
  } finally {
    client.disconnect();
  }
}

/** Some key matching `pattern` on any of the nodes (SCAN each). */
async function findClusterKey(nodes: string[], pattern: string): Promise<string> {
  for (const node of nodes) {
    const client = new Redis({ ...hostAndPort(node), protocol: 2 });
    try {
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        if (keys[0]) return keys[0];
        cursor = next;
      } while (cursor !== "0");
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`no key matches ${pattern} on the cluster`);
}

// --- child processes ---------------------------------------------------------------------

interface Child {
  port: number;
  /** The consistency child's outcome (it reports ready when done). */
  result?: ConsistencyResult;
  call(request: Request | Request["type"]): Promise<Stats | undefined>;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}
const children = new Set<ChildProcess>();
let temp: string | undefined;
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  if (temp) rmSync(temp, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** How a child runs bench/server.ts: Node through tsx, Bun and Deno (from npm) as they are. */
const LAUNCH: Record<ServerRuntime, { execPath: string; execArgv: string[] }> = {
  node: { execPath: process.execPath, execArgv: ["--import", "tsx"] },
  bun: { execPath: join(ROOT, "node_modules/.bin/bun"), execArgv: [] },
  deno: { execPath: join(ROOT, "node_modules/.bin/deno"), execArgv: ["run", "-A"] },
};

function startChild(name: string, spec: Spec): Promise<Child> {
  const launch = LAUNCH[spec.kind === "app" ? spec.runtime : "node"];
  const proc = fork(fileURLToPath(new URL("./server.ts", import.meta.url)), [], {
    cwd: ROOT,
    ...launch,
    env: { ...process.env, BENCH_SPEC: JSON.stringify(spec) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(proc);
  const pending = new Map<number, { resolve: (stats?: Stats) => void; reject: (error: Error) => void }>();
  let calls = 0;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const call = (request: Request | Request["type"]) =>
    new Promise<Stats | undefined>((resolve, reject) => {
      const id = ++calls;
      pending.set(id, { resolve, reject });
      proc.send({ ...(typeof request === "string" ? { type: request } : request), id });
    });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await call("exit").catch(() => {});
    await Promise.race([exited, sleep(5_000)]);
    proc.kill("SIGKILL");
  };
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      for (const waiter of [{ reject }, ...pending.values()]) waiter.reject(error);
    };
    proc.on("message", (message: FromChild) => {
      if (message.type === "ready")
        resolve({ port: message.port, result: message.result, call, stop, stats: async () => (await call("stats"))! });
      else if (message.type === "failed") fail(new Error(`${name}: ${message.error}`));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`${name}: ${message.error}`));
        else waiter?.resolve(message.stats);
      }
    });
    proc.once("exit", (code, signal) => {
      children.delete(proc);
      fail(new Error(`${name} exited (${signal ?? `code ${code}`})`));
    });
  });
}

// --- the run -------------------------------------------------------------------------------

async function main() {
  const loadBefore = loadavg();
  temp = mkdtempSync(join(tmpdir(), "jollyjet-bench-"));
  const redisServer = await startRedisServer();
  const admin = new Redis(redisServer.url, { protocol: 2 });
  const redisVersion = /^redis_version:(.*)$/m.exec(await admin.info("server"))?.[1]?.trim() ?? "?";
  const prefix = `bench-${crypto.randomUUID().slice(0, 8)}`;
  const appEnv = (redisPrefix: string, database = "catalogue"): Record<string, string> => {
    return {
      DATABASE_URL: `file:${join(temp!, `${database}.db`)}`,
      REDIS_URL: redisServer.url,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: "error",
      RATE_LIMIT_MAX: String(RATE_LIMIT),
      ADMIN_TOKEN: crypto.randomUUID(),
    };
  };
  log(`redis-server ${redisVersion} on ${redisServer.url}, temp dir ${temp}`);

  try {
    // The demo catalogue (seeding writes every product through to the app's cache), then the
    // same products' JSON, as the app lists them, under the keys the peers read.
    const peerPrefix = `${prefix}-peer:product:`;
    const products: { id: string }[] = [];
    {
      const { services, close } = await createNodeServices(parseConfig(appEnv(prefix)));
      await seedIfEmpty(services.catalogue, backgroundRunner(services.logger));
      const app = createApp(services);
      for (let page = 1, pages = 1; page <= pages; page++) {
        const body = (await (await app.request(`/api/products?limit=100&page=${page}`)).json()) as {
          data: { products: { id: string }[]; totalPages: number };
        };
        products.push(...body.data.products);
        pages = body.data.totalPages;
      }
      await sleep(300); // background write-throughs
      await close();
    }
    await admin.mset(Object.fromEntries(products.map((product) => [`${peerPrefix}${product.id}`, JSON.stringify(product)])));
    const ids = products.map((product) => product.id);
    log(`seeded ${ids.length} demo products`);

    const peer = (name: PeerName): Spec => ({
      kind: "peer",
      peer: name,
      options: { redisUrl: redisServer.url, productPrefix: peerPrefix, limiterPrefix: `${prefix}-${name}:`, limit: RATE_LIMIT },
    });
    const specs: [ScenarioKey, Spec][] = [
      ["full", { kind: "app", runtime: "node", env: appEnv(prefix), dbLatencyMs: 0 }],
      ...(["bun", "deno"] as const).map(
        (runtime) => [`full-${runtime}`, { kind: "app", runtime, env: appEnv(prefix), dbLatencyMs: 0 }] as [ScenarioKey, Spec],
      ),
      ...(["hono", "node", "express", "flexible"] as const).map((name) => [name, peer(name)] as [ScenarioKey, Spec]),
    ];
    const scenarios = await Promise.all(specs.map(async ([key, spec]) => ({ key, child: await startChild(key, spec) })));

    // One response of each: the same envelope and product as the app's?
    const responses: Record<string, { status: number; headers: string[]; sameData: boolean }> = {};
    const dataOf = (text: string) => JSON.stringify((JSON.parse(text) as { data?: unknown }).data);
    let reference = "";
    for (const { key, child } of scenarios) {
      const res = await fetch(`http://127.0.0.1:${child.port}/api/products/${ids[0]!}`);
      const text = await res.text();
      reference ||= dataOf(text);
      responses[key] = { status: res.status, headers: [...res.headers.keys()], sameData: dataOf(text) === reference };
    }
    log(
      `servers up: ${scenarios.map((s) => `${s.key} :${s.child.port} (${responses[s.key]!.status}${responses[s.key]!.sameData ? "" : ", DIFFERENT DATA"})`).join(", ")}`,
    );

    let next = 0;
    const rotating = () => `/api/products/${ids[next++ % ids.length]!}`;
    const load = (port: number, duration: number) => cannon({ port, connections: settings.BENCH_CONNECTIONS, duration, path: rotating });
    for (const { key, child } of scenarios) {
      const warm = await load(child.port, settings.BENCH_WARMUP_S);
      log(`warm-up ${key}: ${(warm.responses / warm.seconds).toFixed(0)} req/s${warm.failures ? `, ${warm.failures} failures` : ""}`);
    }

    const runs: Run[] = [];
    for (let round = 1; round <= settings.BENCH_ROUNDS; round++) {
      // Rotated each round, so no scenario always runs first or last.
      for (const { key, child } of scenarios.map((_, i) => scenarios[(i + round - 1) % scenarios.length]!)) {
        const [before, redisBefore, cannonBefore, busyBefore, wallBefore] = [
          await child.stats(),
          await readRedis(admin),
          process.cpuUsage(),
          machineBusyUs(),
          performance.now(),
        ];
        const result = await load(child.port, settings.BENCH_DURATION_S);
        await sleep(300); // requests still queued in the server finish their Redis work
        const cannonCpu = process.cpuUsage(cannonBefore);
        const [after, redis, busy, wallUs] = [
          await child.stats(),
          redisDelta(redisBefore, await readRedis(admin)),
          machineBusyUs() - busyBefore,
          (performance.now() - wallBefore) * 1000,
        ];
        const served = Math.max(1, after.served - before.served);
        const serverCpu = after.cpuUs - before.cpuUs;
        const run: Run = {
          key,
          round,
          responses: result.responses,
          failures: result.failures,
          reqPerSec: result.responses / result.seconds,
          p50: percentile(result.latencies, 50),
          p99: percentile(result.latencies, 99),
          bytesPerResponse: result.bytes / Math.max(1, result.responses),
          serverCpuUs: serverCpu / served,
          rssMiB: after.rssBytes / 2 ** 20,
          redisCpuUs: redis.cpuUs / served,
          roundTrips: (after.roundTrips - before.roundTrips) / served,
          commands: (after.commands - before.commands) / served,
          loads: (after.loads - before.loads) / served,
          redisCalls: Object.fromEntries(Object.entries(redis.calls).map(([name, calls]) => [name, calls / served])),
          otherCores: Math.max(0, busy - serverCpu - redis.cpuUs - cannonCpu.user - cannonCpu.system) / wallUs,
        };
        runs.push(run);
        log(
          `round ${round} ${key.padEnd(8)} ${run.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  failures ${run.failures}  server ${run.serverCpuUs.toFixed(0)} µs/req ${run.rssMiB.toFixed(0)} MiB  redis ${run.redisCpuUs.toFixed(1)} µs/req  rt ${run.roundTrips.toFixed(3)}  cmd ${run.commands.toFixed(3)}  other ${run.otherCores.toFixed(2)} cores`,
        );
      }
    }

    // CPU profile of the full stack and of bare Hono under the same load.
    const profiles: { key: ScenarioKey; served: number; summary: ReturnType<typeof summariseProfile> }[] = [];
    for (const { key, child } of settings.BENCH_PROFILE_S > 0 ? scenarios.filter((s) => s.key === "full" || s.key === "hono") : []) {
      const file = join(temp, `${key}.cpuprofile`);
      await child.call("profile-start");
      const before = await child.stats();
      await load(child.port, settings.BENCH_PROFILE_S);
      await sleep(300);
      const after = await child.stats();
      await child.call({ type: "profile-stop", file });
      profiles.push({
        key,
        served: after.served - before.served,
        summary: summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, ROOT),
      });
      log(`profiled ${key}`);
    }
    for (const { child } of scenarios) await child.stop();

    // Stampede: each trial, one never-read product requested by 500 connections at once.
    const stampede: { responses: number; failures: number; loads: number; p50: number; p99: number }[] = [];
    if (settings.BENCH_STAMPEDE_TRIALS > 0) {
      const child = await startChild("stampede", {
        kind: "app",
        runtime: "node",
        env: appEnv(`${prefix}-s`),
        dbLatencyMs: STAMPEDE.dbLatencyMs,
      });
      const others = ids.slice(settings.BENCH_STAMPEDE_TRIALS);
      await cannon({
        port: child.port,
        connections: settings.BENCH_CONNECTIONS,
        duration: 2,
        path: () => `/api/products/${others[next++ % others.length]!}`,
      });
      for (const id of ids.slice(0, settings.BENCH_STAMPEDE_TRIALS)) {
        const before = await child.stats();
        const result = await cannon({
          port: child.port,
          connections: STAMPEDE.connections,
          amount: STAMPEDE.connections,
          path: () => `/api/products/${id}`,
        });
        await sleep(300);
        const loads = (await child.stats()).loads - before.loads;
        stampede.push({
          responses: result.responses,
          failures: result.failures,
          loads,
          p50: percentile(result.latencies, 50),
          p99: percentile(result.latencies, 99),
        });
        log(`stampede: ${result.responses} responses, ${loads} database load(s)`);
      }
      await child.stop();
    }

    // The same cached read, the app on a three-master Redis Cluster (BENCH_CLUSTER=0 skips it).
    let cluster: ClusterResult | undefined;
    if (settings.BENCH_CLUSTER > 0) {
      const redisCluster = await startRedisCluster();
      try {
        const { REDIS_URL: _single, ...base } = appEnv(`${prefix}-k`);
        const env = { ...base, REDIS_CLUSTER_NODES: redisCluster.nodes.join(",") };
        const child = await startChild("cluster", { kind: "app", runtime: "node", env, dbLatencyMs: 0 });
        await load(child.port, settings.BENCH_WARMUP_S); // fills the cluster's cache
        const before = await child.stats();
        const result = await load(child.port, settings.BENCH_DURATION_S);
        await sleep(300);
        const after = await child.stats();
        const served = Math.max(1, after.served - before.served);
        // Masters one read's keys live on: the product's entry, and the rate-limit window of the
        // bench's one client (both buckets under one hash tag); a session would add its user's slot.
        const slotOwner = await clusterSlotOwners(redisCluster.nodes[0]!);
        const limiterSlot = calculateSlot(await findClusterKey(redisCluster.nodes, `${prefix}-k:ratelimit:default:*`));
        const mastersPerRead = ids.map(
          (id) => new Set([slotOwner(calculateSlot(`${prefix}-k:cache:product:${id}`)), slotOwner(limiterSlot)]).size,
        );
        cluster = {
          reqPerSec: result.responses / result.seconds,
          p50: percentile(result.latencies, 50),
          p99: percentile(result.latencies, 99),
          failures: result.failures,
          serverCpuUs: (after.cpuUs - before.cpuUs) / served,
          sends: (after.roundTrips - before.roundTrips) / served,
          mastersPerRead: mastersPerRead.reduce((sum, count) => sum + count, 0) / mastersPerRead.length,
        };
        log(`cluster: ${cluster.reqPerSec.toFixed(0)} req/s, ${cluster.mastersPerRead.toFixed(2)} masters per read`);
        await child.stop();
      } finally {
        await redisCluster.stop();
      }
    }

    // Write-throughs waiting for a replica's acknowledgement (REDIS_WAIT_REPLICAS=1) against not
    // waiting, under cached reads and PATCHes at once (BENCH_WAIT=0 skips it).
    const replicaWait: ReplicaWaitRun[] = [];
    if (settings.BENCH_WAIT > 0) {
      const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(redisServer.port)] });
      try {
        await untilReplicaInSync(redisServer.port, replica.port);
        // Each setting twice, in the order 0, 1, 1, 0, so neither always runs on the warmer machine.
        for (const [run, waitReplicas] of [0, 1, 1, 0].entries()) {
          const adminToken = crypto.randomUUID();
          const env = { ...appEnv(`${prefix}-w${run}`), ADMIN_TOKEN: adminToken, REDIS_WAIT_REPLICAS: String(waitReplicas) };
          const child = await startChild(`wait-${waitReplicas}`, { kind: "app", runtime: "node", env, dbLatencyMs: 0 });
          await load(child.port, settings.BENCH_WARMUP_S); // fills this namespace's cache
          let stock = 0;
          const writes = {
            method: "PATCH" as const,
            headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
            body: () => JSON.stringify({ stock: ++stock }),
          };
          const [redisBefore, before] = [await readRedis(admin), await child.stats()];
          const [read, written] = await Promise.all([
            load(child.port, settings.BENCH_DURATION_S),
            cannon({ port: child.port, connections: WRITE_CONNECTIONS, duration: settings.BENCH_DURATION_S, path: rotating, send: writes }),
          ]);
          await sleep(300);
          const [redis, after] = [redisDelta(redisBefore, await readRedis(admin)), await child.stats()];
          const summary = (result: typeof read) => ({
            perSec: result.responses / result.seconds,
            p50: percentile(result.latencies, 50),
            p99: percentile(result.latencies, 99),
            failures: result.failures,
          });
          const served = Math.max(1, after.served - before.served);
          const measured: ReplicaWaitRun = {
            waitReplicas,
            reads: summary(read),
            writes: summary(written),
            waitsPerWrite: (redis.calls.wait ?? 0) / Math.max(1, written.responses),
            loadsPerRead: (after.loads - before.loads) / Math.max(1, read.responses),
            serverCpuUs: (after.cpuUs - before.cpuUs) / served,
            redisCpuUs: redis.cpuUs / served,
          };
          replicaWait.push(measured);
          log(
            `replica wait ${waitReplicas}: reads ${n0(measured.reads.perSec)}/s, writes ${n0(measured.writes.perSec)}/s (p50 ${measured.writes.p50.toFixed(2)} ms), app ${n0(measured.serverCpuUs)} µs/req, redis-server ${measured.redisCpuUs.toFixed(1)} µs/req, ${measured.loadsPerRead.toFixed(3)} loads/read`,
          );
          await child.stop();
        }
      } finally {
        await replica.stop();
      }
    }

    let consistency: ConsistencyResult | undefined;
    if (settings.BENCH_CONSISTENCY_PRODUCTS > 0) {
      log(`consistency: creating ${settings.BENCH_CONSISTENCY_PRODUCTS} products through POST /api/products, then one run`);
      const child = await startChild("consistency", {
        kind: "consistency",
        env: appEnv(`${prefix}-c`, "consistency"),
        products: settings.BENCH_CONSISTENCY_PRODUCTS,
      });
      consistency = child.result!;
      await child.stop();
      log(`consistency: ${consistency.report.scanned} keys in ${consistency.runSeconds.toFixed(2)} s`);
    }

    // Sign-in CPU: what register and login spend on the password, here in the bench's own process.
    await hashPassword("warm-up password");
    const hashes = 20;
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let i = 0; i < hashes; i++) await hashPassword(`bench password ${i}`);
    const cpu = process.cpuUsage(cpuBefore);
    const passwordHash = { hashes, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallBefore };
    log(`password hash: ${(passwordHash.cpuMs / hashes).toFixed(1)} ms CPU each`);

    const changed = Object.entries(settings).filter(([name, value]) => value !== KNOBS[name as keyof typeof KNOBS]);
    const markdown = renderReport({
      date: new Date(),
      command: `${changed.map(([name, value]) => `${name}=${value} `).join("")}npm run bench`,
      changed: changed.map(([name, value]) => `${name}=${value} (default ${KNOBS[name as keyof typeof KNOBS]})`),
      wallSeconds: (Date.now() - started) / 1000,
      machine: machine(ROOT, redisVersion),
      load: [loadBefore, loadavg()],
      settings: { ...settings, rateLimit: RATE_LIMIT, ...STAMPEDE, writeConnections: WRITE_CONNECTIONS, products: ids.length },
      responses,
      runs,
      profiles,
      stampede,
      consistency,
      passwordHash,
      cluster,
      replicaWait,
    });
    writeFileSync(join(ROOT, "BENCHMARKS.md"), markdown);
    log(`wrote BENCHMARKS.md (${((Date.now() - started) / 1000).toFixed(0)} s end to end)`);
  } finally {
    await admin.quit().catch(() => {});
    await redisServer.stop();
  }
}

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
