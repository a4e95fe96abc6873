/**
 * @module
 * How the read path loads from the database. A miss loads under a loader lock (a random
 * owner token, released only by its owner), so one instance at a time loads a key, and fills
 * what it loaded in the round trip that releases the lock; an instance that finds the lock
 * taken waits, bounded, for that fill. A stale entry gets one background refresh across all
 * instances. Every fill is a compare-and-set on the version, refused if the cache epoch
 * changed since before the load. When Redis fails, the load goes straight to the database
 * (BYPASS) and fills nothing.
 */
import type { Background } from "../background";
import { randomBytes, toBase64Url } from "../encoding";
import type { Logger } from "../logger";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import { redisFailureLevel, type RedisPort } from "../redis/port";
import { decodeEntry, encodeEntry, type NewEntry } from "./entry";
import { fresh, loadedResult, served, type CacheResult, type Loaded } from "./found";
import { ownedLock, type OwnedLock } from "./lock";
import type { Metrics } from "./metrics";
import { hardTtlMs, type CachePolicy } from "./policy";
import { cacheEpoch, takeBudget, versionedFill } from "./scripts";
import { between, sleep } from "./timing";

const LOCK_MS = 5_000;
const WAIT_MS = 2_000;
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 30;

const entryFor = <T>(loaded: Loaded<T>, policy: CachePolicy): NewEntry | undefined => {
  const now = Date.now();
  if (loaded.value !== null)
    return { kind: "entry", version: loaded.version, freshUntil: now + policy.freshMs, schema: policy.schema, value: loaded.value };
  return policy.missingMs > 0 ? { kind: "tombstone", version: loaded.version, freshUntil: now + policy.missingMs } : undefined;
};
const ttlFor = (entry: NewEntry, policy: CachePolicy) =>
  entry.kind === "entry" ? hardTtlMs(policy) : Math.max(1, entry.freshUntil - Date.now());

export function createLoader(options: { redis: RedisPort; keys: RedisKeys; metrics: Metrics; logger: Logger }) {
  const { redis, keys, metrics, logger } = options;
  const refreshes = new Set<string>();

  /** A reader's fill, refused unless the cache epoch is still `epoch`, the one read before its load; see versionedFill. */
  const readerFillOp = (key: string, entry: NewEntry, ttlMs: number, epoch: string) =>
    ops.script(versionedFill, [key, keys.cacheEpoch(key)], [entry.version, encodeEntry(entry), ttlMs, "", Date.now(), epoch]);
  /** The cache epoch guarding `key`, made when missing: read before a load whose result may fill. */
  const epochOp = (key: string) => ops.script(cacheEpoch, [keys.cacheEpoch(key)], [toBase64Url(randomBytes(12))], String);

  /**
   * A loader lock, per key, version needed and read position (`at`, see the read path's
   * readingAt): loaders that need a newer version (a list generation read after a write), or
   * that read at a client's own last write, do not wait for one that may have read the
   * database before it.
   */
  const loaderLock = (key: string, version: number | undefined, at = "") =>
    ownedLock(keys.lock(`${key}@${version ?? 0}${at && ` ${at}`}`), LOCK_MS);

  /** Loads under the lock it holds, then fills (if the cache epoch is still `epoch`) and releases in one round trip. */
  async function loadAndFill<T>(
    key: string,
    policy: CachePolicy,
    load: () => Promise<Loaded<T>>,
    lock: OwnedLock | undefined,
    epoch: string,
  ): Promise<Loaded<T>> {
    let loaded: Loaded<T>;
    try {
      loaded = await load();
    } catch (error) {
      if (lock) await redis.run(lock.release).catch(() => {});
      throw error;
    }
    const { budget } = policy;
    const admitted = (entry: NewEntry | undefined): Promise<boolean> =>
      entry && budget
        ? redis.run(ops.script(takeBudget, [budget.key], [budget.limit, budget.windowMs], (reply) => reply === 1)).catch(() => false)
        : Promise.resolve(true);
    const candidate = entryFor(loaded, policy);
    const entry = (await admitted(candidate)) ? candidate : undefined;
    const writes = [...(entry ? [readerFillOp(key, entry, ttlFor(entry, policy), epoch)] : []), ...(lock ? [lock.release] : [])];
    await redis.pipeline(writes).catch((error: unknown) => {
      metrics.count("errors");
      logger[redisFailureLevel(error)]("cache fill failed", { key, error });
    });
    return loaded;
  }

  async function waitForOtherLoader<T>(key: string, schema: number, version: number | undefined): Promise<CacheResult<T> | undefined> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(between(POLL_MIN_MS, POLL_MAX_MS));
      const entry = decodeEntry((await redis.run(ops.get(key))) ?? "", schema);
      if (entry?.kind === "pending") return undefined; // a write is in progress: no fill will come
      if (fresh(entry, version)) return served(entry, "HIT");
    }
    return undefined;
  }

  async function bypass<T>(load: () => Promise<Loaded<T>>, error: unknown): Promise<CacheResult<T>> {
    metrics.count("errors");
    logger[redisFailureLevel(error)]("cache bypassed: Redis failed", { error });
    return loadedResult(await load(), "BYPASS");
  }

  async function missThroughLock<T>(
    key: string,
    policy: CachePolicy,
    load: () => Promise<Loaded<T>>,
    version: number | undefined,
    at: string,
  ): Promise<CacheResult<T>> {
    const lock = loaderLock(key, version, at);
    let acquired: boolean;
    let current: string | null;
    let epoch: string;
    try {
      // Lock and look again in one round trip: a loader elsewhere may have filled the key
      // (and released its lock) since this request's first read. The epoch, read before the
      // load, goes with the fill.
      [acquired, current, epoch] = await redis.pipeline([lock.acquire, ops.get(key), epochOp(key)]);
    } catch (error) {
      return bypass(load, error);
    }
    const meanwhile = decodeEntry(current ?? "", policy.schema);
    if (fresh(meanwhile, version)) {
      if (acquired) await redis.run(lock.release).catch(() => {});
      metrics.count("coalesced");
      return served(meanwhile, "HIT");
    }
    if (acquired) {
      metrics.count("misses");
      return loadedResult(await loadAndFill(key, policy, load, lock, epoch), "MISS");
    }
    // Another instance is loading: wait (bounded) for its fill, else read the database directly.
    const filled = await waitForOtherLoader<T>(key, policy.schema, version).catch(() => undefined);
    if (filled) {
      metrics.count("coalesced");
      return filled;
    }
    metrics.count("misses");
    return loadedResult(await loadAndFill(key, policy, load, undefined, epoch), "MISS");
  }

  function refreshInBackground<T>(
    key: string,
    policy: CachePolicy,
    load: () => Promise<Loaded<T>>,
    version: number | undefined,
    background: Background,
  ) {
    if (refreshes.has(key)) return;
    refreshes.add(key);
    const lock = loaderLock(key, version);
    const refresh = (async () => {
      // One refresh across all instances: whoever holds the lock does it, the others skip;
      // and the holder skips too if another refresh finished since this request read the entry.
      if (!(await redis.run(lock.acquire))) return;
      const [current, epoch] = await redis.pipeline([ops.get(key), epochOp(key)]);
      if (fresh(decodeEntry(current ?? "", policy.schema), version)) {
        await redis.run(lock.release);
        return;
      }
      await loadAndFill(key, policy, load, lock, epoch);
    })().finally(() => refreshes.delete(key));
    background("cache refresh", refresh);
  }

  return { bypass, missThroughLock, refreshInBackground };
}
