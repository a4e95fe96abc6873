/**
 * After quiescence the cache must equal the database (pure comparisons; state.ts reads the
 * inputs): every servable product entry (an entry or tombstone of this deploy's schema)
 * agrees with its row, nothing unreadable is left behind, every product in a list page of
 * the current generation agrees with its row, and a page of the probe's own query holds
 * exactly what the database's query returns. Reads through every instance are held to the
 * same. A write marker or a floor is not servable: it sends readers to the database.
 */
import { decodeEntry } from "../../src/cache/entry";
import { seenOf, type ApiProduct } from "./content";
import type { Outcome, Seen } from "./history/types";

export interface DbRow {
  version: number;
  digest: string;
}

/** The database's answer to the probe's list query: ids in order, and the total. */
export interface ExpectedList {
  ids: string[];
  total: number;
}

export interface CacheSnapshot {
  products: { id: string; raw: string }[];
  lists: { key: string; raw: string }[];
  /** The list generation: pages under another one are never served. */
  generation: number;
}

export interface InstanceRead {
  instance: number;
  id: string;
  outcome: Outcome;
  seen?: Seen;
}

export interface InstanceListRead {
  instance: number;
  outcome: Outcome;
  items?: (Seen & { id: string })[];
  total?: number;
}

/** One disagreement; `subject` names what disagrees (a product, a cached list page, the list as served), so several findings about one count once. */
export interface Mismatch {
  subject: string;
  detail: string;
}

export interface StateInput {
  schema: number;
  /** Rows of every id involved; a missing key means no row. */
  rows: ReadonlyMap<string, DbRow>;
  /** Whether a cached list's query is the probe's own (so its ids can be compared with `expectedList`). */
  isProbeQuery: (query: unknown) => boolean;
  expectedList: ExpectedList;
}

function compareProduct(
  subject: string,
  where: string,
  id: string,
  seen: Seen | undefined,
  rows: ReadonlyMap<string, DbRow>,
): Mismatch | undefined {
  const row = rows.get(id);
  const differs = (detail: string) => ({ subject, detail: `${where}: product ${id} ${detail}` });
  if (!seen) return row ? differs(`is missing, the database has v${row.version}`) : undefined;
  if (!row) return differs(`served at v${seen.version}, the database has no row`);
  if (seen.version !== row.version) return differs(`at v${seen.version}, the database at v${row.version}`);
  if (seen.digest !== row.digest) return differs(`at v${seen.version} with other content than the database's`);
  return undefined;
}

function compareIds(subject: string, where: string, ids: string[], total: number, expected: ExpectedList): Mismatch | undefined {
  if (total !== expected.total) return { subject, detail: `${where}: total ${total}, the database counts ${expected.total}` };
  if (ids.join() !== expected.ids.join())
    return { subject, detail: `${where}: holds other products (or another order) than the database's query` };
  return undefined;
}

const present = (found: (Mismatch | undefined)[]): Mismatch[] => found.filter((mismatch): mismatch is Mismatch => mismatch !== undefined);

/** Every product id the servable part of a snapshot names: its product entries and its current lists' products. */
export function idsInCache(cache: CacheSnapshot, schema: number): string[] {
  const ids = cache.products.map((entry) => entry.id);
  for (const { raw } of cache.lists) {
    const entry = decodeEntry(raw, schema);
    if (entry?.kind !== "entry" || entry.version !== cache.generation) continue;
    ids.push(...(JSON.parse(entry.json) as { page: { products: { id: string }[] } }).page.products.map((product) => product.id));
  }
  return ids;
}

/** Mismatches between the cache as read from Redis and the database. */
export function compareCache(cache: CacheSnapshot, input: StateInput): Mismatch[] {
  const found: (Mismatch | undefined)[] = [];
  for (const { id, raw } of cache.products) {
    const subject = `product:${id}`;
    const entry = decodeEntry(raw, input.schema);
    if (!entry)
      found.push({
        subject,
        detail: `cache entry of ${id}: unreadable or of another schema (${JSON.stringify(raw.slice(0, 40))}) left in place`,
      });
    else if (entry.kind === "tombstone") {
      const row = input.rows.get(id);
      if (row) found.push({ subject, detail: `cache entry of ${id}: tombstone v${entry.version} over a live product at v${row.version}` });
    } else if (entry.kind === "entry") {
      found.push(compareProduct(subject, "cache entry", id, seenOf(JSON.parse(entry.json) as ApiProduct), input.rows));
    }
  }
  for (const { key, raw } of cache.lists) {
    const entry = decodeEntry(raw, input.schema);
    if (entry?.kind !== "entry" || entry.version !== cache.generation) continue;
    const { query, page } = JSON.parse(entry.json) as { query: unknown; page: { products: ApiProduct[]; total: number } };
    const subject = `list:${key}`;
    const where = `cached list ${key}`;
    for (const product of page.products) found.push(compareProduct(subject, where, product.id, seenOf(product), input.rows));
    if (input.isProbeQuery(query))
      found.push(
        compareIds(
          subject,
          where,
          page.products.map((product) => product.id),
          page.total,
          input.expectedList,
        ),
      );
  }
  return present(found);
}

/** Mismatches between what every instance answers and the database. */
export function compareReads(reads: InstanceRead[], listReads: InstanceListRead[], input: StateInput): Mismatch[] {
  const found: (Mismatch | undefined)[] = [];
  for (const read of reads) {
    const where = `GET through instance ${read.instance}`;
    if (read.outcome === 200 || read.outcome === 404)
      found.push(compareProduct(`product:${read.id}`, where, read.id, read.seen, input.rows));
    else found.push({ subject: `product:${read.id}`, detail: `${where}: product ${read.id} answered ${read.outcome}` });
  }
  const subject = "list:served";
  for (const list of listReads) {
    const where = `list through instance ${list.instance}`;
    if (list.outcome !== 200 || !list.items || list.total === undefined) {
      found.push({ subject, detail: `${where}: answered ${list.outcome}` });
      continue;
    }
    for (const item of list.items) found.push(compareProduct(subject, where, item.id, item, input.rows));
    found.push(
      compareIds(
        subject,
        where,
        list.items.map((item) => item.id),
        list.total,
        input.expectedList,
      ),
    );
  }
  return present(found);
}
