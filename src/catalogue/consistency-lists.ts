/**
 * @module
 * The consistency run's list sample: a bounded number of cached lists under the current
 * generation (what readers are served), each compared with its query run afresh on the
 * primary (./consistency-decision.ts), read in round trips bounded by bytes; a list that
 * differs is deleted.
 */
import { loadPage, type CachedList } from "./catalogue";
import { judgeCachedList } from "./consistency-decision";
import { applyRepairs, repairCommand, type ConsistencyContext, type Tally } from "./consistency-pass";
import { ops } from "../redis/commands";
import type { RedisPort } from "../redis/port";
import { decodeEntry } from "../cache/entry";
import { headOf } from "../cache/scripts";
import { scanPages } from "../redis/scan";

/** Bytes of a cached list read to learn its generation (the header, E|<generation>|…). */
const LIST_HEAD_BYTES = 64;
/** Most bytes of cached lists read in one round trip (a page of 100 products is ~60 KB). */
const LIST_BATCH_BYTES = 256 * 1024;

export interface ListSampleBudget {
  /** Most lists compared. */
  limit: number;
  /** Most SCAN pages read looking for them. */
  maxPages: number;
}

/** Compares and repairs up to `limit` cached lists into `tally`; returns how many it compared. */
export async function checkListSample(context: ConsistencyContext, tally: Tally, { limit, maxPages }: ListSampleBudget): Promise<number> {
  const { cacheRedis, keys, products, productPolicy, readPrimary } = context;
  const [generationRaw] = await cacheRedis.pipeline([ops.get(keys.listGeneration)]);
  const generation = Number(generationRaw ?? 0);
  let checked = 0;
  let pages = 0;
  for await (const page of scanPages(cacheRedis, keys.productLists, 1000)) {
    // Bounded in round trips too (the same page budget as the products'): most SCAN pages may
    // hold no list of the current generation.
    pages += 1;
    for await (const { key, raw } of currentLists(cacheRedis, page.keys, generation)) {
      // Only lists readers would still be served: current generation, within their lifetime.
      // Lists are the catalogue's too, with the products' schema.
      const entry = decodeEntry(raw, productPolicy.schema);
      if (entry?.kind !== "entry" || entry.version !== generation) continue;
      checked += 1;
      const cached = JSON.parse(entry.json) as CachedList;
      const fresh = await readPrimary(() => loadPage(products, cached.query));
      const decision = judgeCachedList(raw, cached.page, fresh);
      tally[decision.verdict] += 1;
      if (decision.verdict !== "consistent") await applyRepairs(cacheRedis, [repairCommand(key, decision.repair, 1)], tally);
      if (checked >= limit) break;
    }
    if (checked >= limit || pages >= maxPages) break;
  }
  return checked;
}

/**
 * Of one SCAN page of list keys, those cached under `generation`, read in full in round trips
 * of at most LIST_BATCH_BYTES; the rest is never read past its header.
 */
async function* currentLists(cacheRedis: RedisPort, page: string[], generation: number): AsyncGenerator<{ key: string; raw: string }> {
  if (page.length === 0) return;
  const heads = await cacheRedis.pipeline(
    page.map((key) => ops.script(headOf, [key], [LIST_HEAD_BYTES], (reply) => reply as [string, number] | null)),
  );
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
