/**
 * @module
 * The one place that caches data. See shared/DESIGN.md "Cache consistency protocol":
 * every fill is a Lua compare-and-set on the version, writes go through after the commit,
 * deletes leave tombstones, misses coalesce in-process (single-flight) and across instances
 * (a lock with a random owner token, released only by its owner), and entries past their
 * fresh time are served STALE while one refresh runs. When Redis fails, reads go to the
 * database (BYPASS) and nothing is filled. The read path is ./read-path.ts (loads under the
 * lock and refreshes: ./loader.ts); the write path is ./write-ops.ts (the commands) and
 * ./write-through.ts (sending them, and the write-throughs owed). What is cached, and under
 * which keys, is the features' business.
 */
import type { Background } from "../background";
import type { PositionContext } from "../client-position";
import type { Logger } from "../logger";
import type { Op } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import type { CacheResult, Loaded } from "./found";
import type { Metrics } from "./metrics";
import type { CachePolicy } from "./policy";
import { createReadPath, type CacheReadOptions } from "./read-path";
import { abandonOp, markWriteOp, newWriter, putOp, tombstoneOp } from "./write-ops";
import { createWriteThrough, type CacheChange } from "./write-through";

export { Found, type CacheStatus, type Loaded } from "./found";
export type { CachePolicy } from "./policy";
export { WriteNotConfirmedError, type CacheChange } from "./write-through";

export interface CacheService {
  /** Cache-aside read with single-flight, cross-instance lock, stale-while-revalidate and versioned fill. */
  get<T>(key: string, policy: CachePolicy, load: () => Promise<Loaded<T>>, options: CacheReadOptions): Promise<CacheResult<T>>;
  /** A new writer's token: names one write in the markers and write-throughs of its keys. */
  newWriter(): string;
  /**
   * Marks `key` as being written by `writer`, before the database write: until every writer
   * on it has written through or given up (or passed its deadline) readers go to the
   * database and fill nothing, so a failed write-through cannot leave the old value to be
   * served, and an older writer's write-through cannot replace a newer one's marker.
   */
  markWriteOp(key: string, writer: string): Op<unknown>;
  /**
   * Sends what a write does before its database commit (markers, generation bumps) in one
   * round trip, followed by a WAIT when replicas must have it (a failover must not lose a
   * marker). Rejects when Redis did not take it all.
   */
  announce(ops: Op<unknown>[]): Promise<void>;
  /** Write-through by `writer` after a database commit (send it with related commands); never replaces a newer version. */
  putOp(key: string, version: number, value: unknown, policy: CachePolicy, writer: string): Op<unknown>;
  /** Records that `key` no longer exists as of `version`: outranks every fill of an older version. */
  tombstoneOp(key: string, version: number, policy: CachePolicy, writer: string): Op<unknown>;
  /** `writer` committed nothing (its database write failed): off the marker at once, and the old entry back if it was the last. */
  abandonOp(key: string, policy: CachePolicy, writer: string): Op<unknown>;
  /**
   * Applies the changes after a database commit, in one round trip. When Redis does not take
   * them, they are owed: kept (the newest per key) and retried in the background until Redis
   * takes them, and until then this instance reads those keys from the database.
   * `mustLand` (CACHE_CONSISTENCY=strict): the call waits up to 2 s of retries and rejects
   * with WriteNotConfirmedError if Redis still has not taken them, so the write is not
   * acknowledged while other instances may serve the previous value.
   */
  writeThrough(changes: CacheChange[], background: Background, options?: { mustLand?: boolean }): Promise<void>;
  /** Retries owed write-throughs now, if there are any (called after each request). */
  settleOwed(background: Background): void;
}

/**
 * The cache service over `redis` (the cache's Redis: REDIS_CACHE_URL's when there is one),
 * built once per set of services.
 * @example const result = await cache.get(key, policy, () => repo.load(id), { background });
 */
export function createCacheService(options: {
  redis: RedisPort;
  keys: RedisKeys;
  metrics: Metrics;
  logger: Logger;
  positions?: PositionContext;
  /** Replicas that must acknowledge a write-through (WAIT) before it is done, and how long to wait for them. */
  replicas?: { count: number; timeoutMs: number };
  /**
   * How long one background round keeps retrying owed write-throughs (then the next request
   * starts another): short on Workers, whose waitUntil is bounded; long where background work
   * may run on, so the owed changes land within a backoff step of Redis answering again
   * without waiting for traffic.
   */
  owedRetryMs: number;
}): CacheService {
  const writes = createWriteThrough(options);
  return {
    get: createReadPath({ ...options, isOwed: writes.isOwed }),
    newWriter,
    markWriteOp,
    announce: writes.announce,
    putOp,
    tombstoneOp,
    abandonOp,
    writeThrough: writes.writeThrough,
    settleOwed: writes.settleOwed,
  };
}
