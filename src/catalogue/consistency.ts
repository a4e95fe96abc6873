import { listedContent, loadPage, type CachedList } from "./catalogue";
import type { Product } from "./types";
import type { ProductRepository } from "./repository";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import type { CachePolicy } from "../cache/cache-service";
import { decodeEntry, encodeEntry, entryHeaderOf } from "../cache/entry";
import { ownedLock } from "../cache/lock";
import { headOf, replaceIfUnchanged } from "../cache/scripts";
import { scanPages } from "../redis/scan";

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

export interface ConsistencyOptions {
  /** Where the run's lock, cursor and reports are kept. */
  redis: RedisPort;
  /** Where the cache entries are (the same Redis unless REDIS_CACHE_URL). */
  cacheRedis: RedisPort;
  keys: RedisKeys;
  products: ProductRepository;
  productPolicy: CachePolicy;
  logger: Logger;
  /** Runs database reads on the primary (not a read replica): what the cache is compared with. */
  readPrimary: <T>(read: () => Promise<T>) => Promise<T>;
  /** Keys per SCAN page, per MGET and per database query: what bounds memory. */
  batchSize?: number;
  /** Most SCAN pages one run reads, for products and again for lists (Workers: subrequest budget); unbounded by default. */
  maxBatches?: number;
  /** Most cached lists compared per run (the SCAN pages read looking for them count against `maxBatches` too). */
  listSample?: number;
}

const HISTORY_LENGTH = 100;
const LOCK_MS = 10 * 60_000;
/** Bytes of a cached list read to learn its generation (the header, E|<generation>|…). */
const LIST_HEAD_BYTES = 64;
/** Most bytes of cached lists read in one round trip (a page of 100 products is ~60 KB). */
const LIST_BATCH_BYTES = 256 * 1024;

type Verdict = "consistent" | "stale" | "ahead" | "orphaned" | "corrupt";

const idOf = (keys: RedisKeys, key: string) => key.slice(keys.product("").length);

/**
 * One consistency run (shared/DESIGN.md): walk every cached product with SCAN, read each
 * batch with MGET, compare with the primary database in one `IN (…)` query per batch by id,
 * version and content, classify, and repair what differs in both directions (a cache behind
 * the database, or ahead of it) — each repair is a compare-and-swap on the exact value
 * examined, so a write that lands meanwhile is never undone. Then compare a bounded sample of
 * cached lists under the current generation with a fresh query, reading them in round trips
 * bounded by bytes. Runs are
 * exclusive (lock with owner token); a run that reaches `maxBatches` saves its cursor and
 * the next one continues there. The report goes to Redis (latest + history of 100) and to
 * the log.
 * @throws AppError 409 when another run holds the lock.
 */
export async function runConsistencyCheck(trigger: ConsistencyReport["trigger"], options: ConsistencyOptions): Promise<ConsistencyReport> {
  const { redis, cacheRedis, keys, products, productPolicy, logger, readPrimary } = options;
  const batchSize = options.batchSize ?? 500;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const started = Date.now();
  const lock = ownedLock(keys.consistency.lock, LOCK_MS);
  if (!(await redis.run(lock.acquire))) {
    throw new AppError(409, "CONSISTENCY_RUN_IN_PROGRESS", "A consistency run is already in progress");
  }

  const counts: Record<Verdict | "repaired" | "errors", number> = { consistent: 0, stale: 0, ahead: 0, orphaned: 0, corrupt: 0, repaired: 0, errors: 0 };
  const tally = (verdict: Verdict) => (counts[verdict] += 1);
  const repairOp = (key: string, examined: string, replacement: string, ttlMs: number) =>
    ops.script(replaceIfUnchanged, [key], [examined, replacement, Math.max(1, Math.round(ttlMs))]);
  /** All of a batch's repairs in one round trip (on Workers every round trip is a subrequest). */
  const repairAll = async (repairs: ReturnType<typeof repairOp>[]) => {
    if (repairs.length === 0) return;
    const results = await cacheRedis.pipeline(repairs).catch(() => {
      counts.errors += 1;
      return [];
    });
    counts.repaired += results.filter((done) => done === 1).length;
  };
  const { schema } = productPolicy; // lists are the catalogue's too, with the same schema
  const entryFor = (product: Product) => encodeEntry({ kind: "entry", version: product.version, freshUntil: Date.now() + productPolicy.freshMs, schema, value: product });

  const tombstoneAfter = (version: number) => encodeEntry({ kind: "tombstone", version: version + 1, freshUntil: Date.now() + productPolicy.freshMs + productPolicy.graceMs });

  /**
   * What a cached value should be, given the primary's row (undefined: no such product):
   * its verdict and replacement ("" deletes: the next read loads and fills), or undefined for
   * a value to leave alone (a write in progress, or a floor the next read fills).
   */
  function judge(raw: string, row: Product | undefined): { verdict: Verdict; replacement: string } | undefined {
    const entry = decodeEntry(raw, schema);
    if (entry?.kind === "pending") return undefined;
    // An entry of another deploy's schema is outdated, not broken.
    const otherSchema = entry ? undefined : entryHeaderOf(raw);
    const cachedVersion = entry?.version ?? otherSchema?.version;
    if (cachedVersion === undefined) return { verdict: "corrupt", replacement: "" };
    if (!row) {
      if (entry?.kind === "tombstone") return { verdict: "consistent", replacement: raw };
      // An entry (or a floor) of a product the primary does not have: a tombstone outranks every fill of it.
      return otherSchema ? { verdict: "stale", replacement: "" } : { verdict: "orphaned", replacement: tombstoneAfter(cachedVersion) };
    }
    // Ahead of the primary: a lost write, or drift. Every instance would serve it (or, a floor,
    // refuse every fill) until it expires: back to the primary's row.
    if (cachedVersion > row.version) return { verdict: "ahead", replacement: entryFor(row) };
    if (entry?.kind === "floor") return undefined;
    // The payload as stored against the row as it would be stored now (same serialiser, same field order).
    const matches = entry?.kind === "entry" && entry.version === row.version && entry.json === JSON.stringify(row);
    return matches ? { verdict: "consistent", replacement: raw } : { verdict: "stale", replacement: entryFor(row) };
  }

  async function checkProducts(keysBatch: string[]) {
    const raws = await cacheRedis.run(ops.mget(keysBatch));
    const rows = new Map((await readPrimary(() => products.findByIds(keysBatch.map((key) => idOf(keys, key))))).map((row) => [row.id, row]));
    const repairs: ReturnType<typeof repairOp>[] = [];
    for (const [index, key] of keysBatch.entries()) {
      const raw = raws[index];
      if (raw === null || raw === undefined) continue; // expired between SCAN and MGET
      const judged = judge(raw, rows.get(idOf(keys, key)));
      if (!judged) continue;
      tally(judged.verdict);
      if (judged.verdict !== "consistent") repairs.push(repairOp(key, raw, judged.replacement, productPolicy.freshMs + productPolicy.graceMs));
    }
    await repairAll(repairs);
  }

  /**
   * Of one SCAN page of list keys, those cached under `generation` (what readers are served),
   * read in full in round trips of at most LIST_BATCH_BYTES; the rest is never read past its header.
   */
  async function* currentLists(page: string[], generation: number): AsyncGenerator<{ key: string; raw: string }> {
    if (page.length === 0) return;
    const heads = await cacheRedis.pipeline(page.map((key) => ops.script(headOf, [key], [LIST_HEAD_BYTES], (reply) => reply as [string, number] | null)));
    const current = page.flatMap((key, index) => {
      const head = heads[index];
      const header = head ? /^E\|(\d+)\|/.exec(head[0]) : null;
      return header && Number(header[1]) === generation ? [{ key, bytes: Number(head![1]) }] : [];
    });
    for (let start = 0; start < current.length; ) {
      let bytes = 0;
      let end = start;
      while (end < current.length && (end === start || bytes + current[end]!.bytes <= LIST_BATCH_BYTES)) bytes += current[end++]!.bytes;
      const batch = current.slice(start, end);
      const raws = await cacheRedis.run(ops.mget(batch.map((list) => list.key)));
      for (const [index, list] of batch.entries()) {
        const raw = raws[index];
        if (raw) yield { key: list.key, raw };
      }
      start = end;
    }
  }

  async function checkListSample(limit: number): Promise<number> {
    const [generationRaw] = await cacheRedis.pipeline([ops.get(keys.listGeneration)]);
    const generation = Number(generationRaw ?? 0);
    let checked = 0;
    let pages = 0;
    for await (const page of scanPages(cacheRedis, keys.productLists, 1000)) {
      // Bounded in round trips too (the same page budget as the products'): most SCAN pages may
      // hold no list of the current generation.
      pages += 1;
      for await (const { key, raw } of currentLists(page.keys, generation)) {
        // Only lists readers would still be served: current generation, within their lifetime.
        const entry = decodeEntry(raw, schema);
        if (entry?.kind !== "entry" || entry.version !== generation) continue;
        checked += 1;
        const cached = JSON.parse(entry.json) as CachedList;
        const fresh = await readPrimary(() => loadPage(products, cached.query));
        if (JSON.stringify(listedContent(fresh)) === JSON.stringify(listedContent(cached.page))) {
          tally("consistent");
        } else {
          tally("stale");
          await repairAll([repairOp(key, raw, "", 1)]);
        }
        if (checked >= limit) break;
      }
      if (checked >= limit || pages >= maxBatches) break;
    }
    return checked;
  }

  try {
    let cursor = (await redis.run(ops.get(keys.consistency.cursor))) ?? "0";
    let batches = 0;
    for await (const page of scanPages(cacheRedis, keys.products, batchSize, cursor)) {
      cursor = page.cursor;
      // Every page counts, empty ones too: each is a round trip (a subrequest on Workers), and
      // SCAN MATCH over a namespace of mostly other keys returns many empty pages.
      batches += 1;
      if (page.keys.length > 0) {
        await checkProducts(page.keys).catch((error: unknown) => {
          counts.errors += 1;
          logger.warn("consistency batch failed", { error });
        });
      }
      if (batches >= maxBatches) break;
    }
    const complete = cursor === "0";
    if (complete) await redis.run(ops.del(keys.consistency.cursor));
    else await redis.run(ops.set(keys.consistency.cursor, cursor));
    const listsChecked = await checkListSample(options.listSample ?? 20).catch((error: unknown) => {
      counts.errors += 1;
      logger.warn("consistency list sample failed", { error });
      return 0;
    });

    const scanned = counts.consistent + counts.stale + counts.ahead + counts.orphaned + counts.corrupt;
    const finished = Date.now();
    const report: ConsistencyReport = {
      id: crypto.randomUUID(),
      trigger,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
      scanned,
      consistent: counts.consistent,
      stale: counts.stale,
      ahead: counts.ahead,
      orphaned: counts.orphaned,
      corrupt: counts.corrupt,
      repaired: counts.repaired,
      score: scanned === 0 ? 100 : Math.round((10_000 * counts.consistent) / scanned) / 100,
      errors: counts.errors,
      complete,
      listsChecked,
    };
    const serialised = JSON.stringify(report);
    await redis.pipeline([
      ops.set(keys.consistency.latest, serialised),
      ops.lpush(keys.consistency.history, [serialised]),
      ops.ltrim(keys.consistency.history, 0, HISTORY_LENGTH - 1),
    ]);
    logger.info("consistency run", { ...report });
    return report;
  } finally {
    await redis.run(lock.release).catch(() => {});
  }
}

/** The latest report and the history (newest first), as stored by runConsistencyCheck. */
export async function readConsistencyReports(redis: RedisPort, keys: RedisKeys): Promise<{ latest: ConsistencyReport | null; history: ConsistencyReport[] }> {
  const [latest, history] = await redis.pipeline([ops.get(keys.consistency.latest), ops.lrange(keys.consistency.history, 0, HISTORY_LENGTH - 1)]);
  return {
    latest: latest ? (JSON.parse(latest) as ConsistencyReport) : null,
    history: history.map((item) => JSON.parse(item) as ConsistencyReport),
  };
}
