/** Renders BENCHMARKS.md from one complete run of bench/run.ts. */
import { median } from "./measure";
import type { ProfileSummary } from "./profile";
import type { ConsistencyResult } from "./server";

export type ScenarioKey = "full" | "full-bun" | "full-deno" | "hono" | "node" | "express" | "flexible";

const LABELS: Record<ScenarioKey, string> = {
  full: "**full stack**: the app's cached `GET /api/products/:id`",
  "full-bun": "**full stack served by Bun** (`Bun.serve`)",
  "full-deno": "**full stack served by Deno** (`Deno.serve`)",
  hono: "bare Hono + one Redis GET",
  node: "bare node:http + one Redis GET",
  express: "Express + express-rate-limit (Redis store) + GET",
  flexible: "node:http + rate-limiter-flexible (Redis) + GET",
};
/** The real app, by the runtime's own server it is behind. */
const FULL_STACKS: Partial<Record<ScenarioKey, string>> = {
  full: "Node (@hono/node-server)",
  "full-bun": "Bun (`Bun.serve`)",
  "full-deno": "Deno (`Deno.serve`)",
};
/** The peers that do the app's job: a Redis-backed per-client limit plus a cached read. */
const LIMITER_PEERS: ScenarioKey[] = ["express", "flexible"];

export interface Run {
  key: ScenarioKey;
  round: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  responses: number;
  failures: number;
  bytesPerResponse: number;
  /** Per request served: */
  serverCpuUs: number;
  /** The server process's resident memory after the run. */
  rssMiB: number;
  redisCpuUs: number;
  roundTrips: number;
  commands: number;
  loads: number;
  redisCalls: Record<string, number>;
  otherCores: number;
}

export interface ReportData {
  date: Date;
  command: string;
  changed: string[];
  wallSeconds: number;
  machine: { cpu: string; cores: number; ramGiB: number; node: string; os: string; redis: string; packages: string; runtimes: string };
  load: [number[], number[]];
  settings: Record<string, number>;
  responses: Record<string, { status: number; headers: string[]; sameData: boolean }>;
  runs: Run[];
  profiles: { key: ScenarioKey; served: number; summary: ProfileSummary }[];
  stampede: { responses: number; failures: number; loads: number; p50: number; p99: number }[];
  consistency: ConsistencyResult | undefined;
  cluster: ClusterResult | undefined;
  replicaWait: ReplicaWaitRun[];
  /** CPU of one password hash (register, login), as src/auth/password.ts derives it. */
  passwordHash: { hashes: number; cpuMs: number; wallMs: number } | undefined;
}

const n = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–";
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (head: string[], align: string, rows: (string | number)[][]) =>
  [
    row(head),
    `| ${align
      .split("")
      .map((a) => (a === "r" ? "---:" : "---"))
      .join(" | ")} |`,
    ...rows.map(row),
  ].join("\n");

/** The full stack's cached read with the app on a three-master Redis Cluster. */
export interface ClusterResult {
  reqPerSec: number;
  p50: number;
  p99: number;
  failures: number;
  serverCpuUs: number;
  /** Transport send() calls per read (each one pipeline per master it touches, sent at once). */
  sends: number;
  /** Distinct masters one read's keys live on, averaged over the products. */
  mastersPerRead: number;
}

/** One run of cached reads and PATCHes at once, with write-throughs waiting for `waitReplicas` replicas. */
export interface ReplicaWaitRun {
  waitReplicas: number;
  reads: { perSec: number; p50: number; p99: number; failures: number };
  writes: { perSec: number; p50: number; p99: number; failures: number };
  /** WAIT commands redis-server ran per PATCH answered. */
  waitsPerWrite: number;
  /** Database loads per read answered (a write-through still owed makes its writer read the database). */
  loadsPerRead: number;
  /** Per request (read or write) the server received: the app's CPU, and the primary redis-server's. */
  serverCpuUs: number;
  redisCpuUs: number;
}

export function renderReport(d: ReportData): string {
  const s = d.settings;
  const keys = [...new Set(d.runs.map((r) => r.key))];
  const of = (key: ScenarioKey) => d.runs.filter((r) => r.key === key);
  const med = (key: ScenarioKey, pick: (r: Run) => number) => median(of(key).map(pick));
  const rps = (key: ScenarioKey) => med(key, (r) => r.reqPerSec);
  const perRound = (key: ScenarioKey) =>
    of("full").map((r) => r.reqPerSec / (of(key).find((p) => p.round === r.round)?.reqPerSec ?? Number.NaN));
  const fastestLimiter = LIMITER_PEERS.reduce((a, b) => (rps(b) > rps(a) ? b : a));
  const target = (key: ScenarioKey, goal: number) => {
    const ratio = rps("full") / rps(key);
    return `- **${n(ratio, 2)}× ${LABELS[key]}** (target ≥ ${n(goal, 1)}×: **${ratio >= goal ? "met" : "not met"}**; per round ${perRound(
      key,
    )
      .map((r) => n(r, 2))
      .join(", ")})`;
  };
  const calls = (key: ScenarioKey) => {
    const names = [...new Set(of(key).flatMap((r) => Object.keys(r.redisCalls)))];
    return names
      .map((name) => [name, med(key, (r) => r.redisCalls[name] ?? 0)] as const)
      .filter(([, v]) => v >= 0.0005)
      .sort((a, b) => b[1] - a[1]);
  };
  const others = d.runs.map((r) => r.otherCores);
  const out: string[] = [];
  out.push(
    "<!-- GENERATED FILE: written by `npm run bench` (bench/run.ts). Do not edit by hand; re-run the benchmark instead. -->",
    "",
    "# Benchmarks",
    "",
    "> **Generated by `npm run bench`** (bench/). Every figure below comes from one complete run; re-run the command to refresh the whole file.",
    "",
    `- **Date:** ${d.date.toISOString()}`,
    `- **Command:** \`${d.command}\``,
    ...(d.changed.length ? [`- **Knobs changed from the defaults** (a quick trial, not a full run): ${d.changed.join(", ")}`] : []),
    `- **Machine:** ${d.machine.cpu}, ${d.machine.cores} logical cores, ${n(d.machine.ramGiB, 1)} GiB RAM`,
    `- **Software:** Node ${d.machine.node}, ${d.machine.os}, redis-server ${d.machine.redis}; ${d.machine.packages}`,
    `- **Load average** (1/5/15 min) before: ${d.load[0].map((v) => n(v, 2)).join(" / ")}, after: ${d.load[1].map((v) => n(v, 2)).join(" / ")} (after includes the benchmark's own load)`,
    `- **Other processes** used ${n(median(others), 2)} of the ${d.machine.cores} cores during the measured runs (median; at most ${n(Math.max(...others), 2)} in one run): /proc/stat busy time minus the servers', redis-server's and autocannon's own CPU.`,
    `- **Wall time:** ${n(d.wallSeconds)} s end to end`,
    "",
    "## Targets (issue 13)",
    "",
    `Full-stack cached read: **${n(rps("full"))} req/s** (median), as a ratio of medians to`,
    "",
    `${target(fastestLimiter, 1.0)} — the faster of the two peers that do the app's job (a Redis-backed per-client limit plus a cached read)`,
    target("hono", 0.6),
    "",
    `Redis per cached read (full stack, counted at the app's transport, background metrics flushes included): **${n(
      med("full", (r) => r.roundTrips),
      3,
    )} round trips**, **${n(
      med("full", (r) => r.commands),
      3,
    )} top-level commands**, ${n(
      med("full", (r) => r.loads),
      3,
    )} database loads${med("full", (r) => r.roundTrips) < 1 ? " (fewer round trips than reads: several requests' commands share one `send()`)" : ""}.`,
    "",
    "## Runtimes: the same app behind Node's, Bun's and Deno's own servers",
    "",
    "Same Redis, same database file and data, same load, interleaved with every other scenario (medians over the rounds):",
    "",
    table(
      ["server", "req/s", "÷ Node", "p50 ms", "p99 ms", "CPU µs / req", "÷ Node", "RSS MiB after the run", "Redis round trips / req"],
      "lrrrrrrrr",
      keys
        .filter((key) => key in FULL_STACKS)
        .map((key) => [
          FULL_STACKS[key]!,
          n(rps(key)),
          n(rps(key) / rps("full"), 2),
          n(
            med(key, (r) => r.p50),
            2,
          ),
          n(
            med(key, (r) => r.p99),
            2,
          ),
          n(med(key, (r) => r.serverCpuUs)),
          n(med(key, (r) => r.serverCpuUs) / med("full", (r) => r.serverCpuUs), 2),
          n(med(key, (r) => r.rssMiB)),
          n(
            med(key, (r) => r.roundTrips),
            3,
          ),
        ]),
    ),
    "",
    `Software: ${d.machine.runtimes}.`,
    "",
    "## Results: `GET /api/products/:id`, every scenario side by side",
    "",
    table(
      [
        "scenario",
        "req/s (median)",
        "full stack ÷ this",
        "p50 ms",
        "p99 ms",
        "failures",
        "server CPU µs / req",
        "full stack's CPU ÷ this",
        "server RSS MiB",
        "redis-server CPU µs / req",
        "Redis commands executed / req",
        "bytes / response",
        "headers",
      ],
      "lrrrrrrrrrrrr",
      keys.map((key) => [
        LABELS[key],
        n(rps(key)),
        key === "full" ? "1.00" : n(rps("full") / rps(key), 2),
        n(
          med(key, (r) => r.p50),
          2,
        ),
        n(
          med(key, (r) => r.p99),
          2,
        ),
        n(of(key).reduce((t, r) => t + r.failures, 0)),
        n(med(key, (r) => r.serverCpuUs)),
        n(med("full", (r) => r.serverCpuUs) / med(key, (r) => r.serverCpuUs), 2),
        n(med(key, (r) => r.rssMiB)),
        n(
          med(key, (r) => r.redisCpuUs),
          1,
        ),
        n(
          calls(key).reduce((t, [, v]) => t + v, 0),
          3,
        ),
        n(med(key, (r) => r.bytesPerResponse)),
        d.responses[key]?.headers.length ?? "?",
      ]),
    ),
    "",
    "Redis commands executed per request, by command (redis-server's INFO commandstats; commands a Lua script runs with `redis.call` count too):",
    "",
    ...keys.map(
      (key) =>
        `- ${LABELS[key]}: ${
          calls(key)
            .map(([name, v]) => `${name} ${n(v, 3)}`)
            .join(", ") || "none"
        }`,
    ),
    "",
    `Every peer answered with the app's envelope and the same product data: ${keys.every((key) => d.responses[key]?.sameData) ? "yes" : `**no** (${keys.filter((key) => !d.responses[key]?.sameData).join(", ")})`}. Response headers: ${keys.map((key) => `${key}: ${d.responses[key]?.headers.join(", ")}`).join("; ")}.`,
    "",
    "### Every measured run",
    "",
    table(
      [
        "scenario",
        "round",
        "req/s",
        "p50 ms",
        "p99 ms",
        "responses",
        "failures",
        "server CPU µs / req",
        "server RSS MiB",
        "Redis round trips / req",
        "other processes (cores)",
      ],
      "lrrrrrrrrrr",
      d.runs.map((r) => [
        r.key,
        r.round,
        n(r.reqPerSec),
        n(r.p50, 2),
        n(r.p99, 2),
        n(r.responses),
        n(r.failures),
        n(r.serverCpuUs),
        n(r.rssMiB),
        r.key in FULL_STACKS ? n(r.roundTrips, 3) : "–",
        n(r.otherCores, 2),
      ]),
    ),
    "",
    "## How it is measured",
    "",
    "- **Processes.** bench/run.ts starts a dedicated redis-server (test/support/redis-server.ts: free loopback port, no persistence) and runs autocannon in its own process; **every server is a child process** (bench/server.ts: on Node forked with `--import tsx`, on Bun and Deno run by the binaries the npm packages ship, `bun` and `deno run -A`), so autocannon's CPU is not charged to it. All processes share the machine's cores.",
    `- **Load.** autocannon, ${s.BENCH_CONNECTIONS} connections, no pipelining, ${s.BENCH_WARMUP_S} s warm-up per scenario, then ${s.BENCH_ROUNDS} round${s.BENCH_ROUNDS === 1 ? "" : "s"} of ${s.BENCH_DURATION_S} s per scenario, interleaved (round 1 of every scenario, then round 2, …; the order rotated each round) so a change in machine load hits every scenario alike. Each request asks for the next of the ${s.products} demo products (round-robin). Latencies per response from autocannon's \`response\` event (sub-millisecond).`,
    "- **Figures.** req/s, p50 and p99 are medians over the rounds (each separately); failures (non-2xx, errors, timeouts) are summed. Per-request figures divide a run's deltas by the requests the server received. Ratios are ratios of the medians; “per round” pairs the full stack with the peer in the same round.",
    "- **Data.** A libSQL file in a fresh temp dir, migrated, with the demo catalogue created through the catalogue (seedIfEmpty), which writes every product through to the app's cache. The same products' JSON, as `GET /api/products` returns it, is SET under the keys the peers read. Random key prefix per run; each limiter has its own keys.",
    `- **Full stack.** The real app: \`createSelfHostedServices(parseConfig(env), server, { wrapRedis, wrapProducts })\` → \`createApp(services)\` → \`server.listen\`, where \`server\` is the entry's adapter (\`nodeServer\`: @hono/node-server with NODE_SERVER_LIMITS; \`bunServer\`: \`Bun.serve\`; \`denoServer\`: \`Deno.serve\`), as \`npm start\`, \`start:bun\` and \`start:deno\` wire it but without the consistency cron; the three rows share one database file and one Redis namespace. \`RATE_LIMIT_MAX=${n(s.rateLimit!)}\` (no 429s), \`LOG_LEVEL=error\`, \`REDIS_URL\` = the dedicated redis-server (ioredis adapter), everything else default. \`wrapRedis\` counts round trips (one per transport \`send()\`, which may carry several requests' commands) and top-level commands (EVALSHA counts as one); \`wrapProducts\` counts database loads.`,
    `- **Peers** (bench/peers.ts; ioredis, RESP2, no auto-pipelining): each does one Redis GET of the product's JSON string, \`JSON.parse\` and sends \`{"status":"success","data":<product>}\` serialised again (Hono: \`c.json\`; Express: \`res.json\`; node:http: \`JSON.stringify\` + \`res.end\`), the same parse-and-serialise the app's \`c.json\` does. The limiter peers first check a per-client-IP limit in Redis (${n(s.rateLimit!)} per 60 s, never reached): express-rate-limit with rate-limit-redis's \`RedisStore\` over ioredis \`call\` (its defaults otherwise: RateLimit headers, Express's ETag), and rate-limiter-flexible's \`RateLimiterRedis\` (\`consume(ip)\`, then X-RateLimit-* headers). Limit, then read: two round trips.`,
    "- **CPU and memory.** Server: the child's `process.cpuUsage()` delta (all its threads; the same figure as /proc on all three runtimes) per request, and `process.memoryUsage().rss` after each run; redis-server: `INFO cpu` delta per request. Each server runs its JavaScript on one thread, so its ceiling is about 1,000,000 / (server CPU µs per request) req/s, less what the other processes take from the cores.",
    "",
  );

  if (d.profiles.length) {
    const scale = (p: (typeof d.profiles)[number], us: number) => us / Math.max(1, p.served);
    const full = d.profiles.find((p) => p.key === "full");
    const groups = [...new Set(d.profiles.flatMap((p) => p.summary.groups.map(([g]) => g)))];
    const groupUs = (p: (typeof d.profiles)[number] | undefined, g: string) =>
      p ? scale(p, p.summary.groups.find(([name]) => name === g)?.[1] ?? 0) : 0;
    groups.sort((a, b) => groupUs(full, b) - groupUs(full, a));
    out.push(
      "## Where the CPU goes",
      "",
      `V8's sampling profiler (node:inspector, 250 µs interval) in the server process, ${s.BENCH_PROFILE_S} s of the same load after the measured runs. Self time per request: each sample's time divided by the requests served while profiling (profiler overhead and preemption included, so read the shares rather than the absolute µs). Groups: npm package, src/ folder, part of Node core, V8; native frames (JSON, socket writes) count for the nearest JavaScript caller's group. Busy µs per request: ${d.profiles.map((p) => `${p.key} ${n(scale(p, p.summary.busyUs), 1)}`).join(", ")}.`,
      "",
      table(
        ["group", ...d.profiles.map((p) => `${p.key} µs / req`), ...(full ? ["full stack share"] : [])],
        `l${"r".repeat(d.profiles.length + (full ? 1 : 0))}`,
        groups
          .filter((g) => d.profiles.some((p) => groupUs(p, g) >= 0.5))
          .map((g) => [
            g,
            ...d.profiles.map((p) => n(groupUs(p, g), 1)),
            ...(full ? [`${n((100 * groupUs(full, g) * full.served) / Math.max(1, full.summary.busyUs), 1)} %`] : []),
          ]),
      ),
      "",
    );
    if (full) {
      out.push(
        "Top functions of the full stack by self time (`module:line` as loaded; src/ through tsx):",
        "",
        table(
          ["function", "µs / req", "share"],
          "lrr",
          full.summary.functions
            .slice(0, 15)
            .map(([fn, us]) => [`\`${fn}\``, n(scale(full, us), 2), `${n((100 * us) / full.summary.busyUs, 1)} %`]),
        ),
        "",
      );
      const hono = d.profiles.find((p) => p.key === "hono");
      if (hono) {
        const extra = groups
          .map((g) => [g, groupUs(full, g) - groupUs(hono, g)] as const)
          .filter(([, us]) => us >= 0.5)
          .sort((x, y) => y[1] - x[1]);
        out.push(
          "**Where the full stack's extra CPU goes, and why.** Compared with bare Hono + one GET, per request: " +
            extra
              .slice(0, 8)
              .map(([g, us]) => `${g} +${n(us, 1)} µs`)
              .join(", ") +
            ". None of it is one hot spot left to cut: it is the work the app does and the bare handler does not — a sliding-window check " +
            "through @upstash/ratelimit (its script call, its response object and `pending` promise handed to the background), the caller's " +
            "identity (memoized hashes and MAC check, still a few awaits each), seven middleware through hono's compose (compression and " +
            `conditional requests among them), ${d.responses.full?.headers.length ?? "?"} response headers instead of ${d.responses.hono?.headers.length ?? "?"} ` +
            "(security, rate limit, ETag, Cache-Control, Vary; Node validates each in writeHead), the cache service's bookkeeping (metrics counts, owed write-through " +
            "check, freshness), and the allocations all of that makes, which is the garbage collector's and the microtask queue's share. " +
            "The rate-limiter-flexible peer does a lighter version of only the first of these (one Lua call, three headers) on a bare node:http handler, " +
            "so matching it would mean dropping hono's routing and middleware model from the hot path.",
          "",
        );
      }
    }
  }

  if (d.stampede.length) {
    out.push(
      `## Stampede: ${s.connections} concurrent cold reads of one product`,
      "",
      `A fresh full-stack server with its own empty cache namespace (same database, +${s.dbLatencyMs} ms added before each database load by \`wrapProducts\`, which counts them), warmed 2 s on other products; each trial opens ${s.connections} connections at once, one request each, for a product it has never read.`,
      "",
      table(
        ["trial", "responses", "failures", "database loads", "p50 ms", "p99 ms"],
        "rrrrrr",
        d.stampede.map((t, i) => [i + 1, t.responses, t.failures, t.loads, n(t.p50, 1), n(t.p99, 1)]),
      ),
      "",
    );
  }

  if (d.consistency) {
    const c = d.consistency;
    const r = c.report;
    out.push(
      "## Consistency run",
      "",
      `A separate child process (its own libSQL file and key prefix) created ${n(c.products)} products through the app's \`POST /api/products\` (${n(c.createSeconds, 1)} s; each create writes through to the cache), then timed one \`services.runConsistency("manual")\`: **${n(r.scanned)} keys in ${n(c.runSeconds, 2)} s (${n(r.scanned / c.runSeconds)} keys/s)**; consistent ${n(r.consistent)}, stale ${r.stale}, orphaned ${r.orphaned}, corrupt ${r.corrupt}, repaired ${r.repaired}, errors ${r.errors}, complete ${r.complete}.`,
      "",
    );
  }
  if (d.cluster) {
    const c = d.cluster;
    out.push(
      "## Redis Cluster: the same cached read on three masters",
      "",
      `The full stack again (one child, \`REDIS_CLUSTER_NODES\` = a three-master redis-server cluster on loopback, one process per node, started by the bench), ${s.BENCH_DURATION_S} s after a ${s.BENCH_WARMUP_S} s warm-up, one round:`,
      "",
      table(
        ["req/s", "p50 ms", "p99 ms", "failures", "server CPU µs / req", "transport sends / read", "masters a read needs (mean)"],
        "rrrrrrr",
        [[n(c.reqPerSec), n(c.p50, 2), n(c.p99, 2), c.failures, n(c.serverCpuUs), n(c.sends, 3), n(c.mastersPerRead, 2)]],
      ),
      "",
      "A read's keys: its product's cache entry and the client's rate-limit window (the current and previous buckets share one hash tag); with a session, its user's slot too. Each send is one pipeline per master it needs, all sent at once: so a read costs one round trip to each of those masters, in parallel.",
      "",
    );
  }
  if (d.replicaWait.length) {
    const waitMedian = (waitReplicas: number, pick: (r: ReplicaWaitRun) => number) =>
      median(d.replicaWait.filter((r) => r.waitReplicas === waitReplicas).map(pick));
    const waitRatio = (pick: (r: ReplicaWaitRun) => number) => waitMedian(1, pick) / waitMedian(0, pick);
    out.push(
      "## Write-throughs waiting for a replica (`REDIS_WAIT_REPLICAS`)",
      "",
      `The full stack on the same redis-server, now with a replica (\`--replicaof\`, loopback), a fresh child per run (its own cache namespace, warmed ${s.BENCH_WARMUP_S} s), four runs in the order 0, 1, 1, 0; each for ${s.BENCH_DURATION_S} s at once: ${s.BENCH_CONNECTIONS} connections reading products round-robin and ${s.writeConnections} connections PATCHing them (\`{"stock": n}\`, admin token). With 1, every write-through batch is its own round trip, ending with \`WAIT 1 20\`, on a second connection (other requests' commands do not wait behind it). Database loads per read stay 0 when no write-through is left owed (an owed one makes its writer read the database).`,
      "",
      table(
        [
          "run",
          "REDIS_WAIT_REPLICAS",
          "reads / s",
          "read p50 ms",
          "read p99 ms",
          "writes / s",
          "write p50 ms",
          "write p99 ms",
          "failures",
          "WAIT / write",
          "database loads / read",
          "app CPU µs / req",
          "redis-server CPU µs / req",
        ],
        "rrrrrrrrrrrrr",
        d.replicaWait.map((r, i) => [
          i + 1,
          r.waitReplicas,
          n(r.reads.perSec),
          n(r.reads.p50, 2),
          n(r.reads.p99, 2),
          n(r.writes.perSec),
          n(r.writes.p50, 2),
          n(r.writes.p99, 2),
          r.reads.failures + r.writes.failures,
          n(r.waitsPerWrite, 2),
          n(r.loadsPerRead, 3),
          n(r.serverCpuUs),
          n(r.redisCpuUs, 1),
        ]),
      ),
      "",
      `Medians of the runs with 1 ÷ those with 0: reads / s ${n(
        waitRatio((r) => r.reads.perSec),
        2,
      )}, writes / s ${n(
        waitRatio((r) => r.writes.perSec),
        2,
      )}, write p50 ${n(
        waitRatio((r) => r.writes.p50),
        2,
      )}, app CPU per request ${n(
        waitRatio((r) => r.serverCpuUs),
        2,
      )}, redis-server CPU per request ${n(
        waitRatio((r) => r.redisCpuUs),
        2,
      )}.`,
      "",
    );
  }
  if (d.passwordHash) {
    const p = d.passwordHash;
    out.push(
      "## Sign-in CPU: one password hash",
      "",
      `\`hashPassword\` (PBKDF2-SHA256, 100,000 iterations, WebCrypto) ${p.hashes} times in this process: **${n(p.cpuMs / p.hashes, 1)} ms of CPU per hash** (${n(p.wallMs / p.hashes, 1)} ms wall). Register and login each derive one (login derives one for an unknown email too, so both answer alike); on Workers this is CPU time of the invocation (README, "Plan limits").`,
      "",
    );
  }
  return out.join("\n");
}
