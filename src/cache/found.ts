/**
 * @module
 * What a cache read answers with: the value found, its version and how it was served; and
 * which cached entries may answer at all (an entry or a tombstone, of the version needed,
 * fresh or still within its grace).
 */
import type { CacheEntry } from "./entry";

export type CacheStatus = "HIT" | "MISS" | "STALE" | "BYPASS";

/** What a loader read from the database: the value (null: does not exist) and its version. */
export interface Loaded<T> {
  value: T | null;
  version: number;
}

/**
 * A cached or loaded value, as its JSON text and as the value: each is made from the other
 * only when asked for, so a cache hit passed on as it is never parses nor re-serialises.
 */
export class Found<T> {
  #value: T | undefined;
  #json: string | undefined;
  private constructor(value: T | undefined, json: string | undefined) {
    this.#value = value;
    this.#json = json;
  }
  static ofValue<T>(value: T): Found<T> {
    return new Found<T>(value, undefined);
  }
  static ofJson<T>(json: string): Found<T> {
    return new Found<T>(undefined, json);
  }
  get value(): T {
    this.#value ??= JSON.parse(this.#json!) as T;
    return this.#value;
  }
  get json(): string {
    this.#json ??= JSON.stringify(this.#value);
    return this.#json;
  }
}

export interface CacheResult<T> {
  /** Null: known not to exist. */
  found: Found<T> | null;
  /** The version it has (a product's version, a list's generation): what an ETag can be made of without parsing. */
  version: number;
  status: CacheStatus;
}

/** What a reader can be answered with from the cache: an entry or a tombstone (a marker or a floor is a miss). */
type Servable = Extract<CacheEntry, { kind: "entry" | "tombstone" }>;

/** A servable entry or tombstone (not a marker or a floor), current enough. */
export const usable = (entry: CacheEntry | undefined, version: number | undefined): entry is Servable =>
  (entry?.kind === "entry" || entry?.kind === "tombstone") && (version === undefined || entry.version === version);

/** A usable entry still within its fresh time. */
export const fresh = (entry: CacheEntry | undefined, version: number | undefined): entry is Servable =>
  usable(entry, version) && Date.now() < entry.freshUntil;

export const served = <T>(entry: Servable, status: CacheStatus): CacheResult<T> => ({
  found: entry.kind === "entry" ? Found.ofJson<T>(entry.json) : null,
  version: entry.version,
  status,
});

export const loadedResult = <T>(loaded: Loaded<T>, status: CacheStatus): CacheResult<T> => ({
  found: loaded.value === null ? null : Found.ofValue(loaded.value),
  version: loaded.version,
  status,
});
