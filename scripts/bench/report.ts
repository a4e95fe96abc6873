/** Renders BENCHMARKS.md from one complete run of scripts/bench.ts. */
import { median } from "./measure";
import { COST_CENTRES, type ProfileSummary } from "./profile";
import type { ConsistencyResult } from "./protocol";

export interface RunRecord {
  round: number;
  seconds: number;
  responses: number;
  reqPerSec: number;
  /** Bytes received per response (status line, headers, body). */
  bytesPerResponse: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Requests the server received during the run (the per-request denominator). */
  served: number;
  roundTrips: number;
  commands: number;
  issuedRoundTrips: number;
  issuedCommands: number;
  loads: number;
  serverCpuUsPerRequest: number;
  /** NaN where /proc is unavailable. */
  mainThreadCpuUsPerRequest: number;
  redisCpuUsPerRequest: number;
  cannonCpuUsPerRequest: number;
  /** CPU other processes on the machine used during the run, in cores (NaN without /proc/stat). */
  otherCores: number;
  redisCommands: Record<string, { calls: number; usec: number }>;
}

export interface ScenarioReport {
  key: string;
  runs: RunRecord[];
}

export interface StampedeTrial {
  dbLatencyMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  loads: number;
  cache: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

export interface BenchReport {
  generatedAt: Date;
  wallSeconds: number;
  machine: { cpu: string; cores: number; ramGiB: number; node: string; os: string; redis: string; packages: Record<string, string> };
  loadBefore: number[];
  loadAfter: number[];
  settings: {
    durationS: number;
    rounds: number;
    warmupS: number;
    connections: number;
    profileS: number;
    profileIntervalUs: number;
    stampedeConcurrency: number;
    consistencyTotal: number;
    consistencyChunk: number;
    rateLimitMax: number;
  };
  nonDefault: string[];
  products: number;
  /** Header names of one response of each server, as received. */
  responseHeaders: { baseline: string[]; cached: string[] };
  /** Lines each child process wrote (servers log at LOG_LEVEL=error, so normally none). */
  logLines: Record<string, number>;
  scenarios: ScenarioReport[];
  metrics: Record<string, Record<string, number> | undefined>;
  profiles: { key: string; served: number; reqPerSec: number; mainThreadCpuUs: number | undefined; summary: ProfileSummary }[];
  stampede: StampedeTrial[];
  consistency: ConsistencyResult;
}

const TITLES: Record<string, string> = {
  baseline: "baseline: bare Hono + one Redis GET",
  cached: "cached `GET /api/products/:id` (full stack)",
  "uncached-0ms": "caching disabled, database +0 ms",
  "uncached-5ms": "caching disabled, database +5 ms",
  "redis-layer": "diagnostic: bare Hono + the app's Redis work only",
};

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–");
const pct = (value: number) => `${fmt(value * 100, 1)} %`;
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

interface Aggregate {
  key: string;
  reqPerSec: number;
  bytes: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  served: number;
  roundTrips: number;
  commands: number;
  issuedRoundTrips: number;
  issuedCommands: number;
  loads: number;
  serverCpu: number;
  mainCpu: number;
  redisCpu: number;
  cannonCpu: number;
  redisCommands: Record<string, { calls: number; usec: number }>;
  statusCodes: Record<string, number>;
}

function aggregate(scenario: ScenarioReport): Aggregate {
  const runs = scenario.runs;
  const served = sum(runs.map((r) => r.served)) || 1;
  const redisCommands: Aggregate["redisCommands"] = {};
  const statusCodes: Record<string, number> = {};
  for (const run of runs) {
    for (const [name, stat] of Object.entries(run.redisCommands)) {
      const total = (redisCommands[name] ??= { calls: 0, usec: 0 });
      total.calls += stat.calls;
      total.usec += stat.usec;
    }
    for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    key: scenario.key,
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    bytes: median(runs.map((r) => r.bytesPerResponse)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: sum(runs.map((r) => r.non2xx)),
    errors: sum(runs.map((r) => r.errors)),
    served,
    roundTrips: sum(runs.map((r) => r.roundTrips)) / served,
    commands: sum(runs.map((r) => r.commands)) / served,
    issuedRoundTrips: sum(runs.map((r) => r.issuedRoundTrips)) / served,
    issuedCommands: sum(runs.map((r) => r.issuedCommands)) / served,
    loads: sum(runs.map((r) => r.loads)) / served,
    serverCpu: median(runs.map((r) => r.serverCpuUsPerRequest)),
    mainCpu: median(runs.map((r) => r.mainThreadCpuUsPerRequest)),
    redisCpu: median(runs.map((r) => r.redisCpuUsPerRequest)),
    cannonCpu: median(runs.map((r) => r.cannonCpuUsPerRequest)),
    redisCommands,
    statusCodes,
  };
}

function table(header: string[], rows: string[][], align?: ("l" | "r")[]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "r" ? "---:" : "---"));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}

export function renderReport(report: BenchReport): string {
  const { machine, settings } = report;
  const aggregates = new Map(report.scenarios.map((s) => [s.key, aggregate(s)]));
  const base = aggregates.get("baseline")!;
  const cached = aggregates.get("cached")!;
  const layer = aggregates.get("redis-layer");
  const ratioOf = (a: Aggregate) => a.reqPerSec / base.reqPerSec;
  const roundRatios = (key: string) => {
    const runs = report.scenarios.find((s) => s.key === key)!.runs;
    const baseRuns = report.scenarios.find((s) => s.key === "baseline")!.runs;
    return runs.map((run, i) => run.reqPerSec / (baseRuns[i]?.reqPerSec ?? Number.NaN));
  };
  const cachedRatio = ratioOf(cached);
  const singleThread = Number.isFinite(cached.mainCpu) ? cached.mainCpu : cached.serverCpu;
  const otherByRun = report.scenarios.flatMap((s) => s.runs.map((r) => r.otherCores)).filter(Number.isFinite);
  const otherLoad = median(otherByRun);
  const otherMax = Math.max(0, ...otherByRun);
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);

  push(
    "<!-- GENERATED FILE: written by `npm run bench` (scripts/bench.ts). Do not edit by hand; re-run the benchmark instead. -->",
    "",
    "# Benchmarks",
    "",
    "> **Generated by `npm run bench`** (scripts/bench.ts, scripts/bench/). Every figure below comes from one complete run;",
    "> re-run the command to refresh the whole file. Do not edit it by hand.",
    "",
    `- **Date:** ${report.generatedAt.toISOString()}`,
    "- **Command:** `npm run bench`" + (report.nonDefault.length > 0 ? ` — with non-default settings: ${report.nonDefault.join(", ")} (not a reference run)` : ""),
    `- **Machine:** ${machine.cpu}, ${machine.cores} logical cores, ${fmt(machine.ramGiB, 1)} GiB RAM`,
    `- **Software:** Node ${machine.node}, ${machine.os}, redis-server ${machine.redis}; ${Object.entries(machine.packages).map(([p, v]) => `${p} ${v}`).join(", ")}`,
    `- **Load average** (1/5/15 min) before: ${report.loadBefore.map((l) => fmt(l, 2)).join(" / ")}, after: ${report.loadAfter.map((l) => fmt(l, 2)).join(" / ")} (after includes the benchmark's own load)`,
    `- **Wall time:** ${fmt(report.wallSeconds)} s end to end`,
    `- **Other processes** used ${fmt(otherLoad, 2)} of the ${machine.cores} cores during the measured HTTP runs (median over runs, at most ${fmt(otherMax, 2)} in one run;`,
    "  /proc/stat busy time minus the benchmark's own server, redis-server and autocannon CPU).",
    ...((Number.isFinite(otherLoad) ? otherLoad >= 0.25 || otherMax >= 0.5 : (report.loadBefore[0] ?? 0) >= machine.cores / 2)
      ? [
          "",
          `> **Warning: the machine was busy** (other processes took ${fmt(otherLoad, 2)} of ${machine.cores} cores during the runs, up to ${fmt(otherMax, 2)}; see the last column of "Every measured run"): other processes competed for the CPUs,`,
          "> so absolute figures are low and noisy. Ratios between scenarios measured in the same rounds, and per-request CPU figures, are affected less.",
        ]
      : []),
    "",
    "## How it is measured",
    "",
    "- **Processes.** `scripts/bench.ts` starts a dedicated `redis-server` (test/support/redis-server.ts: free loopback port, no persistence)",
    "  and runs autocannon in its own process; **every server is a child process** (scripts/bench/server.ts, forked with `--import tsx`),",
    "  listening on 127.0.0.1 only, so autocannon's CPU use is not charged to the server under test. All processes share the machine's cores.",
    `- **Load.** autocannon, ${settings.connections} connections, no pipelining, ${settings.warmupS} s warm-up per scenario, then ${settings.rounds} measured runs of ${settings.durationS} s each.`,
    "  The runs are interleaved (round 1 of every scenario, then round 2, …, order rotated each round) so a change in machine load hits all",
    "  scenarios alike. Every request asks for the next of the " + report.products + " demo products (round-robin), so the connections in flight",
    "  ask for different products. Latencies are taken per response from autocannon's `response` event (sub-millisecond), not its whole-ms histogram.",
    "- **Figures.** req/s, p50 and p99 are the **medians over the runs** (each metric separately); non-2xx and errors are summed over the runs.",
    "  Per-request figures divide totals over all measured runs by the requests the server received.",
    "- **Data.** libSQL file in a fresh temp dir, migrated, with the demo catalogue created through the catalogue (which writes every product",
    "  through to the cache). Random `REDIS_PREFIX` per run (one per server, so their rate-limit buckets and caches are separate).",
    `- **App settings.** \`RATE_LIMIT_MAX=${settings.rateLimitMax}\` (no 429s), \`LOG_LEVEL=error\`, \`METRICS_FLUSH_MS\` default (1000), every other variable default;`,
    "  `REDIS_URL` = the dedicated redis-server (ioredis adapter, RESP2). The app servers are wired exactly as `startNodeServer` wires them",
    "  (`createNodeServices(config, { wrapProducts, wrapRedis })` → `createApp` → `@hono/node-server` `serve`), except that they bind 127.0.0.1,",
    "  do not schedule the consistency cron and do not seed.",
    "- **Round trips / commands.** Counted by a `wrapRedis` transport wrapper (scripts/bench/wrappers.ts): one round trip per `send()` that",
    "  reaches Redis, commands = commands in it. Background work (metrics flush once a second, rate-limit bookkeeping) is included.",
    "  The baseline's handler counts its single GET (ioredis without auto-pipelining: one command, one round trip).",
    "- **Caching disabled** (no switch exists in src/, and src/ was not changed): the uncached servers get a `wrapRedis` that answers every",
    "  command on a product cache key `{prefix}:cache:product:*` or its loader lock `{prefix}:lock:cache:product:*` **in-process, without",
    "  sending it**: GET → nil (always a miss), the lock's SET NX → OK (always acquired), the versioned-fill and lock-release EVALSHAs → 1",
    "  (nothing is written). Every request therefore runs the app's miss path and loads from the database; the only Redis traffic left is",
    "  the rate-limit check (and the metrics flush). `wrapProducts` adds the database latency (a timer before each `findById`, none at +0 ms)",
    "  and counts loads. Concurrent misses on the same product are still coalesced in-process (single-flight); the DB loads/request column",
    "  shows how rarely that happened.",
    "- **CPU per request.** Server: the child's `process.cpuUsage()` delta (all threads; in brackets its main JavaScript thread alone, from",
    "  `/proc/self/task/<pid>/stat`); redis-server: `INFO cpu` delta; autocannon: the orchestrator's own",
    "  `process.cpuUsage()` delta — each divided by the requests served. A Node server runs its JavaScript on one thread, so its",
    "  throughput ceiling is about 1,000,000 / (server CPU µs per request) req/s, less whatever the other processes take from the cores.",
    "",
    "## Results: `GET /api/products/:id`",
    "",
  );

  const main = ["baseline", "cached", "uncached-0ms", "uncached-5ms"].map((key) => aggregates.get(key)!);
  push(
    table(
      ["scenario", "req/s (median)", "ratio to baseline", "p50 ms", "p99 ms", "non-2xx", "Redis round trips / req", "Redis commands / req", "DB loads / req", "server CPU µs / req (main thread)", "redis-server CPU µs / req", "bytes / response"],
      main.map((a) => [
        TITLES[a.key] ?? a.key,
        fmt(a.reqPerSec),
        a.key === "baseline" ? "1.00" : fmt(ratioOf(a), 2),
        fmt(a.p50, 2),
        fmt(a.p99, 2),
        `${fmt(a.non2xx)}${a.errors > 0 ? ` (+${a.errors} errors)` : ""}`,
        fmt(a.roundTrips, 3),
        fmt(a.commands, 3),
        fmt(a.loads, 3),
        `${fmt(a.serverCpu)} (${fmt(a.mainCpu)})`,
        fmt(a.redisCpu, 1),
        fmt(a.bytes),
      ]),
    ),
    "",
    `**Full-stack cached read: ${pct(cachedRatio)} of the baseline's throughput** (ratio of medians; per round: ${roundRatios("cached").map((r) => fmt(r, 2)).join(", ")}).` +
      ` The issue asks for at least 70 %${cachedRatio >= 0.7 ? " — met." : " — not met; the next section shows where the rest goes."}`,
    "",
    "Notes:",
    "",
    `- Round trips/commands of the uncached rows count only what reaches Redis. What the app issued (before the wrapper answered the product-cache commands locally): ` +
      ["uncached-0ms", "uncached-5ms"].map((key) => {
        const a = aggregates.get(key)!;
        return `${key} ${fmt(a.issuedRoundTrips, 2)} round trips / ${fmt(a.issuedCommands, 2)} commands per request`;
      }).join("; ") + ".",
    `- The cached row's ${fmt(cached.roundTrips, 3)} round trips per request: the request's one pipeline (rate-limit EVALSHA + product GET) plus the once-a-second metrics flush.`,
    `- Cache counters over the whole run including warm-up (services.metrics): ${Object.entries(report.metrics)
      .map(([key, m]) => `${key}: ${m ? `hits ${fmt(m.hits ?? 0)}, misses ${fmt(m.misses ?? 0)}, stale ${fmt(m.stale ?? 0)}, coalesced ${fmt(m.coalesced ?? 0)}, errors ${fmt(m.errors ?? 0)}` : "n/a"}`)
      .join("; ")}.`,
    `- Output of the server processes (they log at \`LOG_LEVEL=error\`): ${
      Object.values(report.logLines).every((n) => n === 0)
        ? "none."
        : `${Object.entries(report.logLines).filter(([, n]) => n > 0).map(([name, n]) => `${name} ${fmt(n)} lines`).join(", ")} — **something failed; see the console output of the run.**`
    }`,
    `- autocannon's own CPU per request (it shares the cores): ${[...aggregates.values()].map((a) => `${a.key} ${fmt(a.cannonCpu)} µs`).join(", ")}.`,
    "",
    "### Every measured run",
    "",
    table(
      ["scenario", "round", "req/s", "p50 ms", "p99 ms", "responses", "non-2xx", "status codes", "server CPU µs/req (main thread)", "other processes' CPU (cores)"],
      report.scenarios.flatMap((s) =>
        s.runs.map((r) => [s.key, String(r.round), fmt(r.reqPerSec), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.responses), fmt(r.non2xx), Object.entries(r.statusCodes).map(([c, n]) => `${c}×${n}`).join(" "), `${fmt(r.serverCpuUsPerRequest)} (${fmt(r.mainThreadCpuUsPerRequest)})`, fmt(r.otherCores, 2)]),
      ),
    ),
    "",
    "### Redis commands executed per request (INFO commandstats deltas)",
    "",
    "Counted by redis-server itself over the measured runs; commands a Lua script runs with `redis.call` are counted too (so the",
    "rate-limit script's inner commands appear next to its EVALSHA). µs/call is redis-server's own time per call.",
    "",
    table(
      ["scenario", "commands per request (µs per call)"],
      [...aggregates.values()].map((a) => [
        a.key,
        Object.entries(a.redisCommands)
          .filter(([, s]) => s.calls / a.served >= 0.001)
          .sort((x, y) => y[1].calls - x[1].calls)
          .map(([name, s]) => `${name} ${fmt(s.calls / a.served, 3)} (${fmt(s.usec / s.calls, 2)} µs)`)
          .join(", "),
      ]),
      ["l", "l"],
    ),
    "",
  );

  // --- where the time goes -------------------------------------------------------------
  const profile = (key: string) => report.profiles.find((p) => p.key === key);
  const pBase = profile("baseline");
  const pCached = profile("cached");
  const pLayer = profile("redis-layer");
  const pUncached = profile("uncached-0ms");
  type Profile = (typeof report.profiles)[number];
  /**
   * Main-thread CPU per request over the profile's window; a sample's interval also holds time
   * the thread was preempted (the machine is shared), so profile time is scaled to this.
   */
  const busy = (p: Profile | undefined) =>
    p ? (p.mainThreadCpuUs !== undefined && p.mainThreadCpuUs > 0 ? p.mainThreadCpuUs : p.summary.busyUs) / Math.max(1, p.served) : Number.NaN;
  const perRequest = (p: Profile | undefined, centre: string) =>
    p && p.summary.busyUs > 0 ? ((p.summary.centres.find(([g]) => g === centre)?.[1] ?? 0) / p.summary.busyUs) * busy(p) : 0;
  const perRequestOf = (p: Profile | undefined, us: number) => (p && p.summary.busyUs > 0 ? (us / p.summary.busyUs) * busy(p) : 0);
  /** A profile's top self-time functions, per request and as a share of its busy time. */
  const topFunctionsTable = (p: Profile | undefined, limit: number) =>
    table(
      ["function", "µs / request", "share of busy time"],
      (p?.summary.functions ?? []).slice(0, limit).map(([name, us]) => [`\`${name}\``, fmt(perRequestOf(p, us), 2), pct(p ? us / p.summary.busyUs : 0)]),
      ["l", "r", "r"],
    );
  const centres = [...new Set(report.profiles.flatMap((p) => p.summary.centres.map(([g]) => g)))];
  const explain = new Map(COST_CENTRES.map((c) => [c.label, c.explain]));
  const fixes = new Map(COST_CENTRES.map((c) => [c.label, c.fix]));
  const rows = centres
    .map((centre) => ({ centre, base: perRequest(pBase, centre), layer: perRequest(pLayer, centre), cached: perRequest(pCached, centre), uncached: perRequest(pUncached, centre) }))
    .sort((a, b) => b.cached - b.base - (a.cached - a.base));
  const extra = rows.filter((r) => r.cached - r.base >= 1);
  const extraTotal = busy(pCached) - busy(pBase);
  const claimedTotal = sum(rows.filter((r) => explain.has(r.centre)).map((r) => r.cached - r.base));

  push(
    "## Where the time goes",
    "",
    `Every server here is bound by CPU (one JavaScript thread each; ${machine.cores} cores shared with autocannon and redis-server), not by Redis or the network. The baseline`,
    `spends **${fmt(base.serverCpu)} µs of server CPU per request**, the full-stack cached read **${fmt(cached.serverCpu)} µs** (${fmt(cached.serverCpu / base.serverCpu, 1)}×)` +
      (layer
        ? `; a bare Hono server doing only the app's Redis work for the same read (the same pipeline through the same RedisPort and RateLimiter, then decodeEntry + c.json) spends **${fmt(layer.serverCpu)} µs** and reaches ${pct(ratioOf(layer))} of the baseline.`
        : "."),
    `Per request, the baseline costs ${fmt(base.serverCpu + base.redisCpu + base.cannonCpu)} µs of CPU across server, redis-server and autocannon together, so on`,
    `${machine.cores} cores it is limited by the machine as a whole (about ${fmt((machine.cores * 1e6) / (base.serverCpu + base.redisCpu + base.cannonCpu))} req/s if nothing else ran). The full stack's JavaScript thread alone needs`,
    `${fmt(singleThread)} µs per request, which caps it near ${fmt(1e6 / singleThread)} req/s however idle the rest of the machine is (measured: ${fmt(cached.reqPerSec)};`,
    `its main thread was on-CPU ${pct((cached.reqPerSec * singleThread) / 1e6)} of the time, the baseline's ${pct((base.reqPerSec * (Number.isFinite(base.mainCpu) ? base.mainCpu : base.serverCpu)) / 1e6)}).`,
    `Besides its main thread the full-stack server burns ${fmt(cached.serverCpu - singleThread)} µs per request on other threads (GC helper threads, the libuv pool),`,
    `the baseline ${fmt(base.serverCpu - (Number.isFinite(base.mainCpu) ? base.mainCpu : base.serverCpu))} µs. Closing the gap means taking CPU out of the per-request path, not Redis round trips.`,
    `Redis is not the limit: the cached read costs redis-server ${fmt(cached.redisCpu, 1)} µs of CPU per request against ${fmt(base.redisCpu, 1)} µs for the baseline's GET`,
    "(the sliding-window script runs several commands inside its EVALSHA; see the commandstats table), and it is still one round trip.",
    "",
    `CPU profiles (V8's sampling profiler through node:inspector, ${settings.profileIntervalUs} µs interval, ${settings.profileS} s of the same ${settings.connections}-connection load, after the`,
    "measured runs) say where the main thread's time goes. Each sample is charged to a cost centre: the named centres below claim a sample",
    "when their code is anywhere on its stack (so they include the builtins, undici and promise work they cause); other samples go to the",
    "module group of their innermost frame. A centre's µs per request = its share of the profile's busy samples × the main thread's CPU",
    "time per request measured over the same window (a sample's interval can include time the thread was preempted, so raw sample time",
    `overstates CPU on a shared machine). Main-thread CPU per request while profiled: baseline ${fmt(busy(pBase), 1)} µs, Redis work only ${fmt(busy(pLayer), 1)} µs,`,
    `full stack ${fmt(busy(pCached), 1)} µs, caching disabled (+0 ms) ${fmt(busy(pUncached), 1)} µs (profiler overhead included). The full stack's extra`,
    `${fmt(extraTotal, 1)} µs per request over the baseline, largest first (${fmt(claimedTotal, 1)} µs of it in the named centres):`,
    "",
    ...extra.map((r) => `- **${r.centre}**: +${fmt(r.cached - r.base, 1)} µs/request (baseline ${fmt(r.base, 1)} → full stack ${fmt(r.cached, 1)})${explain.has(r.centre) ? ` — ${explain.get(r.centre)}.` : ""}`),
    "",
    "Where the three largest named centres are entered from (the caller just outside the centre's code, µs per request):",
    "",
    ...rows
      .filter((r) => explain.has(r.centre) && r.cached - r.base >= 1)
      .slice(0, 3)
      .map((r) => {
        const byCaller = pCached?.summary.callers[r.centre] ?? [];
        return `- **${r.centre}**: ${byCaller.slice(0, 6).map(([caller, us]) => `\`${caller}\` ${fmt(perRequestOf(pCached, us), 1)}`).join("; ")}`;
      }),
    "",
    `The unnamed groups grow with the named work: more allocation (GC), more promises and awaits (microtasks), and bigger responses —`,
    `${fmt(cached.bytes)} bytes per response against ${fmt(base.bytes)} for the baseline, mostly headers — for Node's http and socket code to write.`,
    `The full stack's response to \`GET /api/products/:id\` carries ${report.responseHeaders.cached.length} headers (${report.responseHeaders.cached.join(", ")});`,
    `the baseline's ${report.responseHeaders.baseline.length} (${report.responseHeaders.baseline.join(", ")}).`,
    "",
    "What would take most of that out (suggestions for the named centres costing 2 µs or more; the benchmark itself never changes src/):",
    "",
    ...rows
      .filter((r) => fixes.has(r.centre) && r.cached - r.base >= 2)
      .map((r) => `- ${fixes.get(r.centre)} (**${r.centre}**: ${fmt(r.cached - r.base, 1)} µs/request).`),
    "",
    "All cost centres, µs of main-thread CPU per request:",
    "",
    table(
      ["cost centre / module group", "baseline", "Redis work only", "full stack (cached)", "full stack − baseline", "caching disabled, +0 ms"],
      rows
        .filter((r) => Math.max(r.base, r.layer, r.cached, r.uncached) >= 0.1)
        .map((r) => [explain.has(r.centre) ? `**${r.centre}**` : r.centre, fmt(r.base, 1), fmt(r.layer, 1), fmt(r.cached, 1), fmt(r.cached - r.base, 1), fmt(r.uncached, 1)]),
    ),
    "",
    `With caching disabled (+0 ms) the main thread spends ${fmt(busy(pUncached), 1)} µs per request, ${fmt(busy(pUncached) - busy(pCached), 1)} µs more than a cached read; the largest increases: ` +
      [...rows]
        .sort((a, b) => b.uncached - b.cached - (a.uncached - a.cached))
        .slice(0, 6)
        .map((r) => `${r.centre} +${fmt(r.uncached - r.cached, 1)} µs`)
        .join(", ") +
      ". (The database is a local libSQL file: the load is CPU in this process — drizzle builds and maps the query, the libSQL client runs it — not waiting.)",
    "",
    "Top self-time functions of the full-stack profile (µs per request; `module:line` as loaded, i.e. tsx's transpiled output for src/):",
    "",
    topFunctionsTable(pCached, 25),
    "",
    "Top self-time functions of the baseline profile, for comparison:",
    "",
    topFunctionsTable(pBase, 10),
    "",
  );

  // --- stampede ------------------------------------------------------------------------
  const s = report.stampede;
  push(
    "## Stampede: 500 concurrent cold reads of one key",
    "",
    `A fresh full-stack server (caching on, its own empty cache namespace), warmed for 2 s on other products, then for each trial one never-read`,
    `product is requested by ${settings.stampedeConcurrency} autocannon connections × 1 request each, all opened at once. Database loads are counted by the`,
    "`wrapProducts` wrapper; latencies are per response (includes waiting for the connection to be accepted).",
    "",
    table(
      ["trial", "DB latency added", "responses", "non-2xx", "database loads", "X-Cache", "p50 ms", "p99 ms", "max ms"],
      s.map((t, i) => [
        String(i + 1),
        `+${t.dbLatencyMs} ms`,
        fmt(t.requests),
        fmt(t.non2xx) + (t.errors > 0 ? ` (+${t.errors} errors)` : ""),
        fmt(t.loads),
        Object.entries(t.cache).map(([k, v]) => `${k} ${v}`).join(", "),
        fmt(t.p50, 1),
        fmt(t.p99, 1),
        fmt(t.max, 1),
      ]),
    ),
    "",
    `Median over the +5 ms trials: p99 ${fmt(median(s.filter((t) => t.dbLatencyMs === 5).map((t) => t.p99)), 1)} ms, ${fmt(median(s.filter((t) => t.dbLatencyMs === 5).map((t) => t.loads)))} database load(s) per 500 reads;` +
      ` over the +0 ms trials: p99 ${fmt(median(s.filter((t) => t.dbLatencyMs === 0).map((t) => t.p99)), 1)} ms, ${fmt(median(s.filter((t) => t.dbLatencyMs === 0).map((t) => t.loads)))} load(s).` +
      " Requests that share the in-process single-flight are reported HIT (coalesced); the loader's own is MISS." +
      ` The tail is the queue, not the database: the ${settings.stampedeConcurrency} requests are served one after another by one Node thread at about` +
      ` ${fmt(cached.serverCpu)} µs of CPU each (the cached-read figure above), i.e. about ${fmt((settings.stampedeConcurrency * cached.serverCpu) / 1000)} ms for the last one, while the single load takes a few ms.`,
    "",
  );

  // --- consistency ---------------------------------------------------------------------
  const c = report.consistency;
  push(
    `## Consistency run over ${fmt(c.total)} cached products`,
    "",
    `A separate child process (started with \`--expose-gc\`, its own libSQL file and key prefix) inserted ${fmt(c.total)} products in chunks of ${settings.consistencyChunk}`,
    `through drizzle (${fmt(c.insertSeconds, 1)} s), cached each chunk as the repository reads it back with one SET pipeline per chunk (${fmt(c.cacheFillSeconds, 1)} s, as`,
    "test/node/consistency-scale.test.ts does for 20k), ran a GC, then timed `services.runConsistency(\"manual\")` while sampling",
    "`process.memoryUsage()` every 20 ms.",
    "",
    table(
      ["keys scanned", "duration", "keys/s", "result", "RSS before → peak", "heapUsed before → peak", "DB batches (largest)"],
      [
        [
          fmt(c.report.scanned),
          `${fmt(c.runSeconds, 2)} s`,
          fmt(c.report.scanned / c.runSeconds),
          `consistent ${fmt(c.report.consistent)}, stale ${c.report.stale}, orphaned ${c.report.orphaned}, corrupt ${c.report.corrupt}, errors ${c.report.errors}, score ${c.report.score}, complete ${c.report.complete}`,
          `${mib(c.rssBefore)} → ${mib(c.rssPeak)} (+${mib(c.rssPeak - c.rssBefore)})`,
          `${mib(c.heapBefore)} → ${mib(c.heapPeak)} (+${mib(c.heapPeak - c.heapBefore)})`,
          `${fmt(c.batches)} (${fmt(c.largestBatch)} ids)`,
        ],
      ],
    ),
    "",
    `${fmt(c.samples)} memory samples. After the run and a forced GC: RSS ${mib(c.rssAfterGc)}, heapUsed ${mib(c.heapAfterGc)} (${c.heapAfterGc >= c.heapBefore ? "+" : "−"}${mib(Math.abs(c.heapAfterGc - c.heapBefore))} against the start),`,
    c.heapAfterGc - c.heapBefore <= 0.25 * Math.max(0, c.heapPeak - c.heapBefore)
      ? "so most of the peak is garbage awaiting collection, not state the run keeps. The run reads one SCAN page at a time (MGET, one `IN (…)` query, compare-and-swap repairs)."
      : "so part of the peak stayed allocated after the run: worth a look (the run itself reads one SCAN page at a time).",
    "",
  );
  return `${out.join("\n")}\n`;
}
