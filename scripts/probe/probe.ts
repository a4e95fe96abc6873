/**
 * One probe run: a cluster (started, or targets), the workload with its fault, quiescence,
 * the drift scenario when asked, the final state, and the checks over all of it.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startCluster, targetCluster, type Cluster, type ConsistencyMode } from "./cluster";
import { applyDrift, type DriftResult } from "./drift";
import { injectFault, needsOwnCluster, type Fault, type FaultEvent } from "./faults";
import { checkHistory, countOps, type Finding, type OpCounts } from "./history/checker";
import { operatorAuth, sessionAuth, type WriteAuth } from "./http";
import { readFinalState } from "./state";
import { runWorkload } from "./workload";

export interface ProbeOptions {
  mode: ConsistencyMode;
  fault: Fault;
  instances: number;
  clients: number;
  seconds: number;
  products: number;
  /**
   * How product writes authenticate: an admin session (sessions live in Redis, so while Redis
   * is down they are refused before the catalogue sees them), ADMIN_TOKEN (checked without
   * Redis: writes reach the cache layer during a fault), or half the clients each way.
   */
  auth: "session" | "operator" | "mixed";
  /** Instances already running, instead of starting them. */
  targets?: Parameters<typeof targetCluster>[0];
}

export interface ProbeResult {
  mode: ConsistencyMode;
  fault: Fault;
  instances: number;
  seconds: number;
  clients: number;
  products: number;
  auth: ProbeOptions["auth"];
  counts: OpCounts;
  lost: number;
  phantomReads: number;
  stale: number;
  maxStaleAgeMs: number;
  /**
   * Of the stale and deleted-served reads that began after Redis answered again (a SIGCONT,
   * a restart), the latest start past that moment (ms): how long other instances may serve the
   * previous version once Redis is back (CACHE_CONSISTENCY=available's window).
   */
  maxStaleAfterRedisBackMs?: number;
  backwards: number;
  deletedServed: number;
  /** Products and lists whose cache entries or answers differ from the database after quiescence; null: not checked (targets without database access). */
  cacheVsDb: number | null;
  faultEvents: FaultEvent[];
  drift?: DriftResult;
  /** Why this run fails the probe (empty: it passes). */
  failures: string[];
  /** The first few of each finding, to start an investigation from. */
  examples: {
    lost: Finding[];
    phantomReads: Finding[];
    stale: Finding[];
    backwards: Finding[];
    deletedServed: Finding[];
    cacheVsDb: string[];
  };
}

/** After the workload (and the fault) ends: write-throughs owed during a fault are retried within about this. */
const QUIESCENCE_MS = 3_000;
const EXAMPLES = 10;

async function writeAuths(cluster: Cluster, kind: ProbeOptions["auth"]): Promise<WriteAuth[]> {
  const { email, password, token } = cluster.admin;
  const auths: WriteAuth[] = [];
  if (kind !== "operator") {
    if (!email || !password)
      throw new Error(`--auth ${kind} needs the admin's email and password (--admin-email, --admin-password with --targets)`);
    auths.push(await sessionAuth(cluster.urls[0]!, email, password));
  }
  if (kind !== "session") {
    if (!token) throw new Error(`--auth ${kind} needs ADMIN_TOKEN (--admin-token with --targets)`);
    auths.push(operatorAuth(token));
  }
  return auths;
}

/** What makes a run fail. Lost writes, cache ≠ database and 5xx other than 503 fail in both modes; stale reads only in strict. */
function failuresOf(result: Omit<ProbeResult, "failures">): string[] {
  const failures: string[] = [];
  const { counts } = result;
  if (counts.ackedWrites === 0 || counts.okReads === 0) failures.push("nothing was acknowledged or read: the run shows nothing");
  if (result.lost + result.phantomReads > 0)
    failures.push(`${result.lost} acknowledged writes lost, ${result.phantomReads} reads of content no write produced`);
  if (counts.other5xx > 0) failures.push(`${counts.other5xx} 5xx other than 503`);
  if (result.cacheVsDb !== null && result.cacheVsDb > 0)
    failures.push(`${result.cacheVsDb} cache/instance answers differ from the database after quiescence`);
  if (result.drift && result.drift.secondScore !== 100)
    failures.push(`the second consistency run after drift scored ${String(result.drift.secondScore)}`);
  if (result.drift && result.drift.failed.length > 0) failures.push(`drift not injected: ${result.drift.failed.join("; ")}`);
  if (result.mode === "strict") {
    if (result.stale > 0) failures.push(`${result.stale} stale reads`);
    if (result.backwards > 0) failures.push(`${result.backwards} reads going backwards`);
    if (result.deletedServed > 0) failures.push(`${result.deletedServed} deleted products served after their 204`);
  }
  return failures;
}

/** See ProbeResult.maxStaleAfterRedisBackMs: each wrong read placed after the last moment Redis answered again before it. */
function afterRedisBack(findings: readonly Finding[], events: readonly FaultEvent[]): Pick<ProbeResult, "maxStaleAfterRedisBackMs"> {
  const back = events.filter((event) => event.redisBack).map((event) => event.at);
  const delays = findings.flatMap((finding) => {
    const since = back.filter((at) => finding.readStart !== undefined && at <= finding.readStart).at(-1);
    return since === undefined ? [] : [finding.readStart! - since];
  });
  return delays.length === 0 ? {} : { maxStaleAfterRedisBackMs: Math.round(Math.max(...delays)) };
}

export async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  if (options.targets && needsOwnCluster(options.fault))
    throw new Error(`fault ${options.fault} needs the probe to start the instances (not --targets)`);
  const cluster = options.targets
    ? targetCluster(options.targets)
    : await startCluster({ instances: options.instances, mode: options.mode });
  try {
    const auths = await writeAuths(cluster, options.auth);
    // Lower case: the category filter compares case-insensitively, and the probe compares keys as given.
    const category = `probe-${randomBytes(4).toString("hex")}`;
    const faultEvents: FaultEvent[] = [];
    const ops = await runWorkload({
      urls: cluster.urls,
      auths,
      clients: options.clients,
      seconds: options.seconds,
      products: options.products,
      category,
      alongside: () => injectFault(options.fault, cluster, options.seconds, faultEvents),
    });
    await sleep(QUIESCENCE_MS);
    const historyIds = new Set(ops.flatMap((op) => (op.productId === undefined ? [] : [op.productId])));
    // The lost-write check compares with the database as the workload left it (drift changes rows on purpose).
    const settled = await readFinalState(cluster, category, historyIds);
    let mismatches = settled.mismatches;
    let drift: DriftResult | undefined;
    if (options.fault === "drift") {
      drift = await applyDrift(cluster, category);
      const left = (await readFinalState(cluster, category, [...historyIds, ...drift.orphanIds])).mismatches ?? [];
      drift.leftAfterRuns = new Set(left.map((m) => m.subject)).size;
      // First in the examples: what the runs left is what this scenario is about.
      mismatches = [...left.map((m) => ({ ...m, detail: `after drift and two runs: ${m.detail}` })), ...(mismatches ?? [])];
    }
    const verdict = checkHistory(ops, settled.rows);
    const partial = {
      mode: options.mode,
      fault: options.fault,
      instances: cluster.urls.length,
      seconds: options.seconds,
      clients: options.clients,
      products: options.products,
      auth: options.auth,
      counts: countOps(ops),
      lost: verdict.lost.length,
      phantomReads: verdict.phantom.length,
      stale: verdict.stale.length,
      maxStaleAgeMs: Math.round(verdict.maxStaleAgeMs),
      ...afterRedisBack([...verdict.stale, ...verdict.deletedServed], faultEvents),
      backwards: verdict.backwards.length,
      deletedServed: verdict.deletedServed.length,
      cacheVsDb: mismatches === undefined ? null : new Set(mismatches.map((m) => m.subject)).size,
      faultEvents,
      ...(drift ? { drift } : {}),
      examples: {
        lost: verdict.lost.slice(0, EXAMPLES),
        phantomReads: verdict.phantom.slice(0, EXAMPLES),
        stale: verdict.stale.slice(0, EXAMPLES),
        backwards: verdict.backwards.slice(0, EXAMPLES),
        deletedServed: verdict.deletedServed.slice(0, EXAMPLES),
        cacheVsDb: [...new Set((mismatches ?? []).map((m) => m.detail))].slice(0, EXAMPLES),
      },
    };
    return { ...partial, failures: failuresOf(partial) };
  } finally {
    await cluster.stop();
  }
}
