/**
 * @module
 * How a kind of value is cached, for readers' fills and writers' write-throughs alike: how
 * long it stays fresh and then servable, how long "does not exist" is remembered, its
 * payload's schema and how many entries may be filled per window.
 */
import { between } from "./timing";

export interface CachePolicy {
  /** Fresh time: served as HIT until then. */
  freshMs: number;
  /** Past fresh time an entry is still served (STALE, with one refresh) for this long. */
  graceMs: number;
  /** How long "does not exist" is remembered (0: not at all). */
  missingMs: number;
  /** The payload's shape: entries of another schema (another deploy's) are misses. */
  schema: number;
  /**
   * Most entries filled per window, counted in Redis across instances (`key`): for values
   * whose keys clients choose (every distinct list query is a key), so no client can make the
   * cache grow without bound. Past it, loads are served without filling.
   */
  budget?: { key: string; limit: number; windowMs: number };
}

/** Hard TTL: fresh + grace, ±10 % so entries filled together do not all expire together. */
export const hardTtlMs = (policy: CachePolicy) => Math.max(1, Math.round((policy.freshMs + policy.graceMs) * between(0.9, 1.1)));
