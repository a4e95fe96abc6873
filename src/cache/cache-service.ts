import { randomBytes, toBase64Url } from "../encoding";
import type { Background } from "../background";
import type { PositionContext } from "../client-position";
import type { Logger } from "../logger";
import { ops, type Op } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import { redisFailureLevel, type RedisPort } from "../redis/port";
import { decodeEntry, encodeEntry, type CacheEntry, type NewEntry } from "./entry";
import type { Metrics } from "./metrics";
import { ownedLock, type OwnedLock } from "./lock";
import { cacheEpoch, markWrite, takeBudget, versionedFill } from "./scripts";

export type CacheStatus = "HIT" | "MISS" | "STALE" | "BYPASS";

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
    return (this.#value ??= JSON.parse(this.#json!) as T);
  }
  get json(): string {
    return (this.#json ??= JSON.stringify(this.#value));
  }
}

export interface CacheResult<T> {
  /** Null: known not to exist. */
  found: Found<T> | null;
  /** The version it has (a product's version, a list's generation): what an ETag can be made of without parsing. */
  version: number;
  status: CacheStatus;
}

export interface CacheReadOptions {
  background: Background;
  /**
   * How to read the key, when not a plain GET: e.g. a value already fetched in a pipeline
   * with other commands, or an MGET with the list generation. `version`: only entries of
   * exactly this version are current (lists: the generation read with them; one above it was
   * filled under a generation Redis has since lost). `fillPolicy`: what a fill by
   * this read uses instead of the policy (e.g. a short life while a write is in progress).
   */
  read?: () => Promise<{ raw: string | null; version?: number; fillPolicy?: CachePolicy }>;
  /** Another key whose owed write-through makes this entry untrustworthy too (lists: the generation). */
  dependsOn?: string;
}

/** A write-through for one key: an entry's new state, a tombstone, or a counter's change. */
export interface CacheChange {
  key: string;
  op: Op<unknown>;
}

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

/** Redis did not take a committed write's write-through: it stays owed (and is retried), but the write may not be acknowledged. */
export class WriteNotConfirmedError extends Error {
  override readonly name = "WriteNotConfirmedError";
}

/** What a reader can be answered with from the cache: an entry or a tombstone (a marker or a floor is a miss). */
type Servable = Extract<CacheEntry, { kind: "entry" | "tombstone" }>;

const LOCK_MS = 5_000;
const PENDING_MS = 10_000;
const SETTLE_FIRST_MS = 100;
const SETTLE_MAX_MS = 250;
/** How long a request waits for its write-through to land in strict mode (it has already paid one Redis timeout). */
const MUST_LAND_MS = 2_000;
const WAIT_MS = 2_000;
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);
/** Hard TTL: fresh + grace, ±10 % so entries filled together do not all expire together. */
const hardTtlMs = (policy: CachePolicy) => Math.max(1, Math.round((policy.freshMs + policy.graceMs) * between(0.9, 1.1)));

/**
 * The one place that caches data. See shared/DESIGN.md "Cache consistency protocol":
 * every fill is a Lua compare-and-set on the version, writes go through after the commit,
 * deletes leave tombstones, misses coalesce in-process (single-flight) and across instances
 * (a lock with a random owner token, released only by its owner), and entries past their
 * fresh time are served STALE while one refresh runs. When Redis fails, reads go to the
 * database (BYPASS) and nothing is filled.
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
  const { redis, keys, metrics, logger, positions, replicas, owedRetryMs } = options;
  /**
   * Where the running request reads (read replicas; '' when at no client's position): a load
   * shares its result only with requests at the same position, so a client that presented
   * its own last write never takes the result of a load another client made on a replica
   * that has not reached it.
   */
  const readingAt = () => {
    const position = positions?.current();
    return position && (position.redis.readAt !== undefined || position.database.readAt !== undefined) ? `${position.redis.readAt ?? ""} ${position.database.readAt ?? ""}` : "";
  };
  const flights = new Map<string, Promise<CacheResult<unknown>>>();
  const refreshes = new Set<string>();
  /** Write-throughs Redis did not take, newest per key; bounded by the keys written during an outage. */
  const owed = new Map<string, Op<unknown>>();
  let settling: Promise<void> | undefined;

  /**
   * Sends write-throughs in one round trip; with replicas to wait for, one WAIT follows them
   * on the same connection(s), and too few acknowledgements fail it like an outage: a
   * failover could still lose the write, so it stays owed until a replica has it.
   */
  async function apply(writes: readonly Op<unknown>[]): Promise<void> {
    if (!replicas) {
      await redis.pipeline(writes);
      return;
    }
    const replies = await redis.pipeline([...writes, ops.wait(replicas.count, replicas.timeoutMs)]);
    if ((replies.at(-1) as number) < replicas.count) throw new Error(`fewer than ${replicas.count} replica(s) acknowledged within ${replicas.timeoutMs} ms`);
  }

  /** One attempt to hand Redis everything owed; entries replaced meanwhile stay owed. */
  async function settleOnce(): Promise<boolean> {
    const batch = [...owed];
    if (batch.length === 0) return true;
    try {
      await apply(batch.map(([, op]) => op));
    } catch {
      return false;
    }
    for (const [key, op] of batch) if (owed.get(key) === op) owed.delete(key);
    logger.info("owed cache write-throughs applied", { keys: batch.length });
    return owed.size === 0;
  }

  /**
   * Retries with backoff for a while (a Worker's waitUntil is bounded, and nothing should
   * outlive its request for long); every later request starts another round while anything
   * is still owed.
   */
  function settleInBackground(background: Background) {
    if (settling || owed.size === 0) return;
    settling = (async () => {
      const giveUpAt = Date.now() + owedRetryMs;
      for (let delay = SETTLE_FIRST_MS; !(await settleOnce()) && Date.now() < giveUpAt; delay = Math.min(delay * 2, SETTLE_MAX_MS)) {
        await sleep(delay);
      }
    })().finally(() => (settling = undefined));
    background("owed cache write-throughs", settling);
  }

  /** A writer's write-through after its commit (`writer`: its token); see versionedFill. */
  const writerFillOp = (key: string, entry: NewEntry | undefined, ttlMs: number, writer: string) =>
    ops.script(versionedFill, [key], [entry?.version ?? 0, entry ? encodeEntry(entry) : "", ttlMs, writer, Date.now()]);
  /** A reader's fill, refused unless the cache epoch is still `epoch`, the one read before its load; see versionedFill. */
  const readerFillOp = (key: string, entry: NewEntry, ttlMs: number, epoch: string) =>
    ops.script(versionedFill, [key, keys.cacheEpoch(key)], [entry.version, encodeEntry(entry), ttlMs, "", Date.now(), epoch]);
  /** The cache epoch guarding `key`, made when missing: read before a load whose result may fill. */
  const epochOp = (key: string) => ops.script(cacheEpoch, [keys.cacheEpoch(key)], [toBase64Url(randomBytes(12))], String);
  /** A servable entry or tombstone (not a marker or a floor), current enough. */
  const usable = (entry: CacheEntry | undefined, version: number | undefined): entry is Servable =>
    (entry?.kind === "entry" || entry?.kind === "tombstone") && (version === undefined || entry.version === version);
  /** A usable entry still within its fresh time. */
  const fresh = (entry: CacheEntry | undefined, version: number | undefined): entry is Servable =>
    usable(entry, version) && Date.now() < entry.freshUntil;
  const served = <T>(entry: Servable, status: CacheStatus): CacheResult<T> => ({
    found: entry.kind === "entry" ? Found.ofJson<T>(entry.json) : null,
    version: entry.version,
    status,
  });
  const loadedResult = <T>(loaded: Loaded<T>, status: CacheStatus): CacheResult<T> => ({
    found: loaded.value === null ? null : Found.ofValue(loaded.value),
    version: loaded.version,
    status,
  });

  const entryFor = <T>(loaded: Loaded<T>, policy: CachePolicy): NewEntry | undefined => {
    const now = Date.now();
    if (loaded.value !== null) return { kind: "entry", version: loaded.version, freshUntil: now + policy.freshMs, schema: policy.schema, value: loaded.value };
    return policy.missingMs > 0 ? { kind: "tombstone", version: loaded.version, freshUntil: now + policy.missingMs } : undefined;
  };
  const ttlFor = (entry: NewEntry, policy: CachePolicy) => (entry.kind === "entry" ? hardTtlMs(policy) : Math.max(1, entry.freshUntil - Date.now()));

  /**
   * A loader lock, per key, version needed and read position (`at`, see readingAt): loaders
   * that need a newer version (a list generation read after a write), or that read at a
   * client's own last write, do not wait for one that may have read the database before it.
   */
  const loaderLock = (key: string, version: number | undefined, at = "") => ownedLock(keys.lock(`${key}@${version ?? 0}${at && ` ${at}`}`), LOCK_MS);

  /** Loads under the lock it holds, then fills (if the cache epoch is still `epoch`) and releases in one round trip. */
  async function loadAndFill<T>(key: string, policy: CachePolicy, load: () => Promise<Loaded<T>>, lock: OwnedLock | undefined, epoch: string): Promise<Loaded<T>> {
    let loaded: Loaded<T>;
    try {
      loaded = await load();
    } catch (error) {
      if (lock) await redis.run(lock.release).catch(() => {});
      throw error;
    }
    const { budget } = policy;
    const admitted = (entry: NewEntry | undefined): Promise<boolean> =>
      entry && budget ? redis.run(ops.script(takeBudget, [budget.key], [budget.limit, budget.windowMs], (reply) => reply === 1)).catch(() => false) : Promise.resolve(true);
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

  async function missThroughLock<T>(key: string, policy: CachePolicy, load: () => Promise<Loaded<T>>, version: number | undefined, at: string): Promise<CacheResult<T>> {
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

  async function bypass<T>(load: () => Promise<Loaded<T>>, error: unknown): Promise<CacheResult<T>> {
    metrics.count("errors");
    logger[redisFailureLevel(error)]("cache bypassed: Redis failed", { error });
    return loadedResult(await load(), "BYPASS");
  }

  function refreshInBackground<T>(key: string, policy: CachePolicy, load: () => Promise<Loaded<T>>, version: number | undefined, background: Background) {
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

  return {
    async get<T>(key: string, policy: CachePolicy, load: () => Promise<Loaded<T>>, options: CacheReadOptions): Promise<CacheResult<T>> {
      let raw: string | null;
      let version: number | undefined;
      let fillPolicy: CachePolicy;
      try {
        ({ raw, version, fillPolicy = policy } = options.read ? await options.read() : { raw: await redis.run(ops.get(key)) });
      } catch (error) {
        return bypass(load, error);
      }
      if (owed.has(key) || (options.dependsOn !== undefined && owed.has(options.dependsOn))) {
        // This instance committed a change Redis has not taken yet: the entry may be outdated.
        return loadedResult(await load(), "BYPASS");
      }
      const entry = raw === null ? undefined : decodeEntry(raw, policy.schema);
      if (entry?.kind === "pending") {
        // A write is in progress: what is cached may be outdated, so read the database.
        metrics.count("misses");
        return loadedResult(await load(), "MISS");
      }
      if (fresh(entry, version)) {
        metrics.count("hits");
        return served(entry, "HIT");
      }
      if (usable(entry, version)) {
        metrics.count("stale");
        refreshInBackground(key, fillPolicy, load, version, options.background);
        return served(entry, "STALE");
      }
      // Miss (absent, outdated or corrupt): one load per key, needed version and read
      // position per instance at a time. A reader that needs a newer version (a list
      // generation read after a write) must not share a load that may have read the
      // database before that write.
      const at = readingAt();
      const flightKey = `${version ?? 0}:${at}:${key}`;
      const inFlight = flights.get(flightKey) as Promise<CacheResult<T>> | undefined;
      if (inFlight) {
        const shared = await inFlight;
        metrics.count("coalesced");
        return shared.status === "BYPASS" ? shared : { ...shared, status: "HIT" };
      }
      const flight = missThroughLock(key, fillPolicy, load, version, at).finally(() => flights.delete(flightKey));
      flights.set(flightKey, flight);
      return flight;
    },

    newWriter: () => toBase64Url(randomBytes(12)),

    markWriteOp(key, writer) {
      const now = Date.now();
      return ops.script(markWrite, [key], [writer, now + PENDING_MS, PENDING_MS, now]);
    },

    announce: (writes) => apply(writes),

    putOp: (key, version, value, policy, writer) =>
      writerFillOp(key, { kind: "entry", version, freshUntil: Date.now() + policy.freshMs, schema: policy.schema, value }, hardTtlMs(policy), writer),

    tombstoneOp(key, version, policy, writer) {
      const lifetime = policy.freshMs + policy.graceMs;
      return writerFillOp(key, { kind: "tombstone", version, freshUntil: Date.now() + lifetime }, lifetime, writer);
    },

    abandonOp: (key, policy, writer) => writerFillOp(key, undefined, hardTtlMs(policy), writer),

    async writeThrough(changes, background, options = {}) {
      try {
        await apply(changes.map((change) => change.op));
        return;
      } catch (error) {
        metrics.count("errors");
        logger[redisFailureLevel(error)]("cache write-through failed; owed until Redis takes it", { keys: changes.map((change) => change.key), error });
        for (const change of changes) owed.set(change.key, change.op);
        settleInBackground(background);
      }
      if (!options.mustLand) return;
      // Waits while the background retries run, MUST_LAND_MS at most. An op replaced meanwhile
      // by a newer one for its key is that one's to land (the newer writer waits for it).
      const stillOwed = () => changes.some((change) => owed.get(change.key) === change.op);
      const giveUpAt = Date.now() + MUST_LAND_MS;
      while (stillOwed() && Date.now() < giveUpAt) {
        settleInBackground(background);
        await Promise.race([settling, sleep(SETTLE_FIRST_MS)]);
      }
      if (stillOwed()) throw new WriteNotConfirmedError("Redis did not take the write-through in time");
    },

    settleOwed: (background) => settleInBackground(background),
  };
}
