/**
 * @module
 * The consistency run's decisions, one cached value at a time: what the value is against the
 * primary database (the report's categories) and what replaces it. Pure — no Redis, no
 * database, no clock of its own — so that every case is a row of a table
 * (test/node/consistency-decision.test.ts); the passes read the values and carry the repairs out.
 */
import { listedContent } from "./catalogue";
import type { Product, ProductPage } from "./types";
import type { CachePolicy } from "../cache/cache-service";
import { decodeEntry, encodeEntry, entryHeaderOf } from "../cache/entry";

export type Verdict = "consistent" | "stale" | "ahead" | "orphaned" | "corrupt";

/**
 * A compare-and-swap on the value examined: if the key still holds `examined`, it becomes
 * `replacement`, or is deleted when that is null (the next read loads and fills). A value that
 * changed meanwhile (a write landed) stands.
 */
export interface Repair {
  examined: string;
  replacement: string | null;
}

/** A consistent value stays as it is; every other verdict comes with its repair. */
export type Decision = { verdict: "consistent" } | { verdict: Exclude<Verdict, "consistent">; repair: Repair };

/** The row as a fill would store it now (same serialiser, same field order). */
const entryOf = (row: Product, policy: CachePolicy, now: number) =>
  encodeEntry({ kind: "entry", version: row.version, freshUntil: now + policy.freshMs, schema: policy.schema, value: row });

/** A tombstone outranking every fill of `version`, remembered as long as an entry would be served. */
const tombstoneAfter = (version: number, policy: CachePolicy, now: number) =>
  encodeEntry({ kind: "tombstone", version: version + 1, freshUntil: now + policy.freshMs + policy.graceMs });

/**
 * What a cached product value (`raw`, null or undefined when there is none) is, given the
 * primary's row (undefined: no such product) and the product policy, at `now`. Undefined for a
 * value left alone and not counted: none (it expired between SCAN and MGET), a write in
 * progress, or a floor the next read fills.
 */
export function judgeCachedProduct(
  raw: string | null | undefined,
  row: Product | undefined,
  policy: CachePolicy,
  now: number,
): Decision | undefined {
  if (raw === null || raw === undefined) return undefined;
  const replaceWith = (replacement: string | null): Repair => ({ examined: raw, replacement });
  const entry = decodeEntry(raw, policy.schema);
  if (entry?.kind === "pending") return undefined;
  // An entry this deploy cannot read whose header is whole (another deploy's schema, or a
  // payload cut short) is outdated, not broken: its version still ranks it.
  const unreadable = entry ? undefined : entryHeaderOf(raw);
  const cachedVersion = entry?.version ?? unreadable?.version;
  if (cachedVersion === undefined) return { verdict: "corrupt", repair: replaceWith(null) };
  if (!row) {
    if (entry?.kind === "tombstone") return { verdict: "consistent" };
    // An entry (or a floor) of a product the primary does not have: a tombstone outranks every fill of it.
    return unreadable
      ? { verdict: "stale", repair: replaceWith(null) }
      : { verdict: "orphaned", repair: replaceWith(tombstoneAfter(cachedVersion, policy, now)) };
  }
  // Ahead of the primary: a lost write, or drift. Every instance would serve it (or, a floor,
  // refuse every fill) until it expires: back to the primary's row.
  if (cachedVersion > row.version) return { verdict: "ahead", repair: replaceWith(entryOf(row, policy, now)) };
  if (entry?.kind === "floor") return undefined;
  // The payload as stored against the row as it would be stored now.
  const matches = entry?.kind === "entry" && entry.version === row.version && entry.json === JSON.stringify(row);
  return matches ? { verdict: "consistent" } : { verdict: "stale", repair: replaceWith(entryOf(row, policy, now)) };
}

/**
 * A cached list page (stored as `raw`) against the same query run on the primary now:
 * consistent when every field a list promises to keep current (listedContent) matches;
 * otherwise stale and deleted, so that the next read runs the query and fills.
 */
export function judgeCachedList(raw: string, cached: ProductPage, fresh: ProductPage): Decision {
  return JSON.stringify(listedContent(fresh)) === JSON.stringify(listedContent(cached))
    ? { verdict: "consistent" }
    : { verdict: "stale", repair: { examined: raw, replacement: null } };
}
