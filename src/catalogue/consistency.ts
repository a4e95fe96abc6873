/**
 * @module
 * One consistency run (shared/DESIGN.md): the product pass (./consistency-products.ts) walks
 * every cached product with SCAN, compares each batch with the primary database by id, version
 * and content, and repairs what differs in both directions (a cache behind the database, or
 * ahead of it) — each repair is a compare-and-swap on the exact value examined, so a write
 * that lands meanwhile is never undone. Then the list sample (./consistency-lists.ts) compares
 * a bounded number of cached lists under the current generation with a fresh query. What each
 * value is and what replaces it is decided in ./consistency-decision.ts. Runs are exclusive
 * (lock with owner token); a run that reaches `maxBatches` saves its cursor and the next one
 * continues there. The report goes to Redis (latest + history of 100) and to the log.
 */
import { checkListSample } from "./consistency-lists";
import { emptyTally, type ConsistencyContext, type Tally } from "./consistency-pass";
import { checkProducts } from "./consistency-products";
import { AppError } from "../errors";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { ownedLock } from "../cache/lock";

export interface ConsistencyReport {
  id: string;
  trigger: "cron" | "manual";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  scanned: number;
  consistent: number;
  stale: number;
  /** Entries, tombstones or floors of a higher version than the primary's row: as wrong as stale ones. */
  ahead: number;
  orphaned: number;
  corrupt: number;
  repaired: number;
  /** 100 × consistent / scanned; 100 when nothing was scanned. */
  score: number;
  errors: number;
  /** False when the run stopped at its budget; the next run continues from the saved cursor. */
  complete: boolean;
  /** Cached lists compared with a fresh query (a bounded sample; included in the counts above). */
  listsChecked: number;
}

export interface ConsistencyOptions extends ConsistencyContext {
  /** Keys per SCAN page, per MGET and per database query: what bounds memory. */
  batchSize?: number;
  /** Most SCAN pages one run reads, for products and again for lists (Workers: subrequest budget); unbounded by default. */
  maxBatches?: number;
  /** Most cached lists compared per run (the SCAN pages read looking for them count against `maxBatches` too). */
  listSample?: number;
}

const HISTORY_LENGTH = 100;
const LOCK_MS = 10 * 60_000;

/** Another consistency run holds the lock (409): a cron tick skips, an admin is told. */
export class ConsistencyRunInProgressError extends AppError {
  constructor() {
    super(409, "CONSISTENCY_RUN_IN_PROGRESS", "A consistency run is already in progress");
  }
}

/**
 * Runs once (the cron's trigger, or an admin's) and resolves to the report, stored and logged.
 * @throws ConsistencyRunInProgressError when another run holds the lock.
 */
export async function runConsistencyCheck(trigger: ConsistencyReport["trigger"], options: ConsistencyOptions): Promise<ConsistencyReport> {
  const { redis, keys, logger } = options;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const started = Date.now();
  const lock = ownedLock(keys.consistency.lock, LOCK_MS);
  if (!(await redis.run(lock.acquire))) {
    throw new ConsistencyRunInProgressError();
  }

  const tally = emptyTally();
  try {
    const complete = await checkProducts(options, tally, { batchSize: options.batchSize ?? 500, maxBatches });
    const listsChecked = await checkListSample(options, tally, { limit: options.listSample ?? 20, maxPages: maxBatches }).catch(
      (error: unknown) => {
        tally.errors += 1;
        logger.warn("consistency list sample failed", { error });
        return 0;
      },
    );
    const report = reportOf(trigger, started, tally, { complete, listsChecked });
    await saveReport(redis, keys, report);
    logger.info("consistency run", { ...report });
    return report;
  } finally {
    await redis.run(lock.release).catch(() => {});
  }
}

/** A finished run's report, from what it counted. */
function reportOf(
  trigger: ConsistencyReport["trigger"],
  started: number,
  tally: Tally,
  outcome: Pick<ConsistencyReport, "complete" | "listsChecked">,
): ConsistencyReport {
  const scanned = tally.consistent + tally.stale + tally.ahead + tally.orphaned + tally.corrupt;
  const finished = Date.now();
  return {
    id: crypto.randomUUID(),
    trigger,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    scanned,
    consistent: tally.consistent,
    stale: tally.stale,
    ahead: tally.ahead,
    orphaned: tally.orphaned,
    corrupt: tally.corrupt,
    repaired: tally.repaired,
    score: scanned === 0 ? 100 : Math.round((10_000 * tally.consistent) / scanned) / 100,
    errors: tally.errors,
    complete: outcome.complete,
    listsChecked: outcome.listsChecked,
  };
}

/** The report as the latest and at the head of the history, in one round trip. */
async function saveReport(redis: RedisPort, keys: RedisKeys, report: ConsistencyReport): Promise<void> {
  const serialised = JSON.stringify(report);
  await redis.pipeline([
    ops.set(keys.consistency.latest, serialised),
    ops.lpush(keys.consistency.history, [serialised]),
    ops.ltrim(keys.consistency.history, 0, HISTORY_LENGTH - 1),
  ]);
}

/** The latest report and the history (newest first), as stored by runConsistencyCheck. */
export async function readConsistencyReports(
  redis: RedisPort,
  keys: RedisKeys,
): Promise<{ latest: ConsistencyReport | null; history: ConsistencyReport[] }> {
  const [latest, history] = await redis.pipeline([
    ops.get(keys.consistency.latest),
    ops.lrange(keys.consistency.history, 0, HISTORY_LENGTH - 1),
  ]);
  return {
    latest: latest ? (JSON.parse(latest) as ConsistencyReport) : null,
    history: history.map((item) => JSON.parse(item) as ConsistencyReport),
  };
}
