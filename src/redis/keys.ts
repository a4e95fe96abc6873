/**
 * @module
 * The Redis key layout: every key the app touches is built here, under `REDIS_PREFIX`, so
 * one app's keys never collide with another's and background jobs can SCAN a namespace.
 * Request paths only touch keys they can name; nothing uses KEYS.
 *
 *   {prefix}:session:{u.<userId>}:<id>  session record (JSON), PX = SESSION_TTL_S, sliding;
 *                                       id = base64url(SHA-256(token)), never the token itself
 *   {prefix}:user-sessions:{u.<userId>} SET of a user's session ids (revoke-all without SCAN)
 *   {prefix}:session-secret             random MAC key of session tokens (no TTL), when
 *                                       SESSION_SECRET is not set; shared by all instances
 *   {prefix}:cache:product:{id}         cached product or tombstone (src/cache/entry.ts format)
 *   {prefix}:cache:products:{hash}      cached list page; its version is the list generation;
 *                                       hash = SHA-256 of the normalised query (no user text in keys)
 *   {prefix}:cache:lists-filled         list pages filled in the current window (INCR, PX the
 *                                       list lifetime): fills past CACHE_LIST_MAX_ENTRIES skip
 *   {prefix}:cache:epoch                the cache epoch: a random id, made when missing (Redis
 *                                       lost its data); a fill is refused unless the epoch is the
 *                                       one read before its load. Redis Cluster: one per hash slot,
 *                                       {prefix}:cache:epoch:{<tag>}, the tag hashing to the slot of
 *                                       the keys it guards (a script's keys share one slot)
 *   {prefix}:cache-gen:products         list generation: INCR on every product write (O(1)
 *                                       invalidation); outside cache: so a cache flush keeps it
 *   {prefix}:cache-gen:products:writers  product writes in progress (a counter, PX 10 s from
 *                                       the last one's start): while > 0 list fills live seconds
 *   {prefix}:lock:{cache key}@{version} loader lock per key and version needed: random owner
 *                                       token, PX, owner-only release
 *   {prefix}:metrics                    HASH of counters summed over all instances
 *   {prefix}:metrics:{history}          LIST of metrics samples (JSON), newest first, capped
 *   {prefix}:metrics:{history}:gate     PX key: a sample was kept less than an interval ago
 *   {prefix}:consistency:latest         the last consistency report (JSON)
 *   {prefix}:consistency:history        LIST of reports, newest first, capped at 100
 *   {prefix}:consistency:cursor         SCAN cursor where an unfinished run stopped
 *   {prefix}:lock:consistency           held by the running consistency run
 *   {prefix}:auth-known:{hash}          an (email, address) pair that signed in (PX 30 days): that
 *                                       address skips the auth-email limit; hash of both, hashed
 *   {prefix}:ratelimit:{policy}:{id}:{window}  @upstash/ratelimit sliding-window buckets;
 *                                       id = user:{userId}, ip:{hash} or email:{hash}
 *
 * `DELETE /api/cache` and the consistency run SCAN `{prefix}:cache:*` only.
 *
 * Redis Cluster: keys one script or transaction touches together share a hash tag (`{…}`),
 * so they live in one slot: a user's sessions and their index ({u.<userId>}), the metrics
 * history and its gate ({history}), a rate-limit bucket and the previous window's (the
 * identifier is tagged, src/ratelimit/rate-limiter.ts). Everything else is one key per command
 * (MGET/DEL over many are split per slot by the cluster adapter).
 *
 * Each feature adds its namespace below, with a line in this table.
 */
import calculateSlot from "cluster-key-slot";

/** Every key the app uses, under one prefix (the table above). */
export interface RedisKeys {
  /** Under the user's hash tag, with the index of their sessions (logout-all is one script over both). */
  session(userId: string, id: string): string;
  userSessions(userId: string): string;
  /** The random MAC key of session tokens, when SESSION_SECRET does not set one. */
  readonly sessionSecret: string;
  /** SCAN pattern over cache entries (never sessions, limits, generations or locks). */
  readonly cacheEntries: string;
  product(id: string): string;
  /** SCAN pattern over cached products. */
  readonly products: string;
  productList(queryHash: string): string;
  /** Counts the list pages filled in the current window (src/cache/scripts.ts takeBudget). */
  readonly listBudget: string;
  /** The cache epoch key guarding `key` (src/cache/scripts.ts cacheEpoch). */
  cacheEpoch(key: string): string;
  readonly listGeneration: string;
  readonly listWriters: string;
  lock(key: string): string;
  readonly metrics: string;
  readonly metricsHistory: { samples: string; gate: string };
  readonly consistency: { latest: string; history: string; cursor: string; lock: string };
  /** SCAN pattern over cached lists. */
  readonly productLists: string;
  /** Marks that the account `pairHash` names signed in from its address (src/http/auth-rate-limit.ts). */
  knownSignIn(pairHash: string): string;
  /** Key prefix @upstash/ratelimit builds its bucket keys under, per policy. */
  rateLimit(policy: string): string;
}

const CLUSTER_SLOTS = 16_384;

/**
 * For each hash slot, a short tag that hashes to it: `{tag}` puts a key in that slot. Found by
 * trying base-36 numbers in order (about 160,000 tries, ~20 ms, once per process).
 */
function slotTags(): string[] {
  const tags = new Array<string>(CLUSTER_SLOTS);
  for (let i = 0, found = 0; found < CLUSTER_SLOTS; i += 1) {
    const tag = i.toString(36);
    const slot = calculateSlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      found += 1;
    }
  }
  return tags;
}

/**
 * @param options.cluster Redis Cluster: one cache epoch per hash slot (a master may lose its data alone).
 * @example createRedisKeys("jollyjet").product("42") // "jollyjet:cache:product:42"
 */
export function createRedisKeys(prefix: string, options: { cluster?: boolean } = {}): RedisKeys {
  let tags: string[] | undefined;
  return {
    session: (userId, id) => `${prefix}:session:{u.${userId}}:${id}`,
    userSessions: (userId) => `${prefix}:user-sessions:{u.${userId}}`,
    sessionSecret: `${prefix}:session-secret`,
    cacheEntries: `${prefix}:cache:*`,
    product: (id) => `${prefix}:cache:product:${id}`,
    products: `${prefix}:cache:product:*`,
    productList: (queryHash) => `${prefix}:cache:products:${queryHash}`,
    listBudget: `${prefix}:cache:lists-filled`,
    cacheEpoch: (key) => {
      if (!options.cluster) return `${prefix}:cache:epoch`;
      tags ??= slotTags();
      return `${prefix}:cache:epoch:{${tags[calculateSlot(key)]}}`;
    },
    listGeneration: `${prefix}:cache-gen:products`,
    listWriters: `${prefix}:cache-gen:products:writers`,
    lock: (key) => `${prefix}:lock:${key.startsWith(`${prefix}:`) ? key.slice(prefix.length + 1) : key}`,
    metrics: `${prefix}:metrics`,
    metricsHistory: { samples: `${prefix}:metrics:{history}`, gate: `${prefix}:metrics:{history}:gate` },
    consistency: {
      latest: `${prefix}:consistency:latest`,
      history: `${prefix}:consistency:history`,
      cursor: `${prefix}:consistency:cursor`,
      lock: `${prefix}:lock:consistency`,
    },
    productLists: `${prefix}:cache:products:*`,
    knownSignIn: (pairHash) => `${prefix}:auth-known:${pairHash}`,
    rateLimit: (policy) => `${prefix}:ratelimit:${policy}`,
  };
}
