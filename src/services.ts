/**
 * @module
 * The wiring: the services every request uses, built once per process/isolate from the
 * configuration and what an entry chose (database, Redis transports, how to learn a client's
 * address, the static files), and the work due before the first request. Which adapters to
 * use is the entries' choice (src/entry/).
 */
import type { Config } from "./config";
import type { AppDatabase } from "./db/database";
import { ensureAdminAccount } from "./auth/admin-account";
import { createIdentityHasher } from "./auth/identity-hash";
import { createMac } from "./auth/mac";
import { createSessionStore } from "./auth/sessions";
import { createCacheService, type CachePolicy } from "./cache/cache-service";
import { runConsistencyCheck } from "./catalogue/consistency";
import { createMetrics } from "./cache/metrics";
import { createMetricsHistory } from "./cache/metrics-history";
import { createCatalogue, type CataloguePolicies } from "./catalogue/catalogue";
import { CACHE_SCHEMA } from "./catalogue/types";
import { createProductRepository } from "./db/products";
import type { ProductRepository } from "./catalogue/repository";
import { withDatabaseErrors } from "./db/unavailable";
import { createUserRepository } from "./db/users";
import type { Runtime, Services } from "./http/env";
import { createLogger } from "./logger";
import { createRateLimiter } from "./ratelimit/rate-limiter";
import { createPositionContext, type PositionContext } from "./client-position";
import { createRedisKeys, type RedisKeys } from "./redis/keys";
import { createRedisPort, type RedisTransport } from "./redis/port";
import { version } from "./version";

/**
 * Assembles the runtime-independent services from what an entry chose (database driver,
 * Redis transport). Entries call this once per process/isolate.
 */
export function buildServices(options: {
  config: Config;
  runtime: Runtime;
  db: AppDatabase;
  redisTransport: RedisTransport;
  /** A Redis of its own for cache entries (REDIS_CACHE_URL); without it they share `redisTransport`'s. */
  cacheRedisTransport?: RedisTransport;
  /** Read-your-writes positions, when the entry's database reads from replicas too (D1 sessions, over the same context). */
  positions?: PositionContext;
  /** How this runtime learns the client's address. */
  clientAddress: Services["clientAddress"];
  docsAssets: Services["docsAssets"];
  /** Wraps the product repository (tests count or hold database loads through it). */
  wrapProducts?: (repository: ProductRepository) => ProductRepository;
  /** Wraps the Redis transport (tests count round trips through it). */
  wrapRedis?: (transport: RedisTransport) => RedisTransport;
  /** Most batches one consistency run may examine unless CONSISTENCY_MAX_BATCHES says (Workers: the invocation's subrequest budget). */
  consistencyMaxBatches?: number;
}): Services {
  const { config, runtime, db, clientAddress, wrapProducts = (repository) => repository, wrapRedis = (transport) => transport } = options;
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { runtime } });
  // Upstash may answer reads from replicas (Global): requests carry the client's position.
  const positions = options.positions ?? (options.redisTransport.adapter === "upstash" ? createPositionContext() : undefined);
  // An outage is told once when it starts and once when it ends; per-request failures meanwhile are debug lines.
  const portOf = (transport: RedisTransport, role: string) =>
    createRedisPort(wrapRedis(transport), {
      timeoutMs: config.REDIS_TIMEOUT_MS,
      positions,
      onCircuitChange: (state, cause) =>
        state === "open"
          ? logger.warn("Redis unreachable: circuit open, requests skip Redis until it answers again", {
              adapter: transport.adapter,
              role,
              error: cause,
            })
          : logger.info("Redis answers again: circuit closed", { adapter: transport.adapter, role }),
    });
  const redis = portOf(options.redisTransport, "state");
  const cacheRedis = options.cacheRedisTransport ? portOf(options.cacheRedisTransport, "cache") : redis;
  // Cache keys live on a Cluster only when the cache does (REDIS_CACHE_URL is one server).
  const keys = createRedisKeys(config.REDIS_PREFIX, { cluster: "clusterNodes" in config.redis && !options.cacheRedisTransport });
  // Injected test failures (wrapProducts) pass through the same 503 mapping as real ones.
  const products = withDatabaseErrors(wrapProducts(createProductRepository(db)), logger);
  const policies = cachePolicies(config, keys);
  const metrics = createMetrics({ redis, keys, flushEveryMs: config.METRICS_FLUSH_MS });
  // A WAIT holds the connection, and every request's commands behind it, until it returns (a
  // replica's acknowledgement takes a few ms): a short bound, a tenth of the Redis timeout at most.
  const replicas =
    config.REDIS_WAIT_REPLICAS > 0
      ? { count: config.REDIS_WAIT_REPLICAS, timeoutMs: Math.max(1, Math.min(20, Math.floor(config.REDIS_TIMEOUT_MS / 10))) }
      : undefined;
  // A Worker's background work ends soon after its request; elsewhere the process stays.
  const cache = createCacheService({
    redis: cacheRedis,
    keys,
    metrics,
    logger,
    positions,
    replicas,
    owedRetryMs: runtime === "workerd" ? 2_000 : 60_000,
  });
  const readPrimary = <T>(read: () => Promise<T>) => (positions ? positions.outside(read) : read());
  const mac = createMac({ redis, keys, secret: config.SESSION_SECRET });
  return {
    config,
    runtime,
    version,
    db,
    redis,
    cacheRedis,
    keys,
    logger,
    users: withDatabaseErrors(createUserRepository(db), logger),
    mac,
    positions,
    sessions: createSessionStore({ redis, keys, ttlSeconds: config.SESSION_TTL_S, mac }),
    catalogue: createCatalogue({
      products,
      cache,
      redis: cacheRedis,
      keys,
      metrics,
      logger,
      policies,
      readPrimary,
      consistency: config.CACHE_CONSISTENCY,
    }),
    runConsistency: (trigger) =>
      runConsistencyCheck(trigger, {
        redis,
        cacheRedis,
        keys,
        products,
        productPolicy: policies.product,
        logger,
        readPrimary,
        maxBatches: config.CONSISTENCY_MAX_BATCHES ?? options.consistencyMaxBatches,
        listSample: config.CONSISTENCY_LIST_SAMPLE,
      }),
    metrics,
    metricsHistory: createMetricsHistory({ redis, keys }),
    cache,
    rateLimiter: createRateLimiter({
      redis,
      keys,
      policies: {
        default: {
          name: "default",
          limit: config.RATE_LIMIT_MAX,
          windowSeconds: config.RATE_LIMIT_WINDOW_S,
          failMode: config.RATE_LIMIT_FAIL_MODE,
        },
        auth: {
          name: "auth",
          limit: config.RATE_LIMIT_AUTH_MAX,
          windowSeconds: config.RATE_LIMIT_AUTH_WINDOW_S,
          failMode: config.RATE_LIMIT_AUTH_FAIL_MODE,
        },
        "auth-email": {
          name: "auth-email",
          limit: config.RATE_LIMIT_AUTH_EMAIL_MAX,
          windowSeconds: config.RATE_LIMIT_AUTH_WINDOW_S,
          failMode: config.RATE_LIMIT_AUTH_FAIL_MODE,
        },
      },
    }),
    clientAddress,
    docsAssets: options.docsAssets,
    hashIdentity: createIdentityHasher(10_000),
  };
}

/**
 * Fresh times come from configuration; an entry stays servable as STALE for as long again
 * past it (stale-while-revalidate, and stale-if-error while the database is down). "Does not
 * exist" is remembered for a minute at most, so unknown ids do not all reach the database.
 */
function cachePolicies(config: Config, keys: RedisKeys): CataloguePolicies {
  const policy = (freshSeconds: number, missingMs: number): CachePolicy => ({
    freshMs: freshSeconds * 1000,
    graceMs: freshSeconds * 1000,
    missingMs,
    schema: CACHE_SCHEMA,
  });
  return {
    product: policy(config.CACHE_TTL_PRODUCT_S, Math.min(60_000, config.CACHE_TTL_PRODUCT_S * 1000)),
    // Each distinct query is a key a client chooses: at most CACHE_LIST_MAX_ENTRIES filled per
    // list lifetime, so at most about twice that many are cached at once.
    list: {
      ...policy(config.CACHE_TTL_LIST_S, 0),
      budget: { key: keys.listBudget, limit: config.CACHE_LIST_MAX_ENTRIES, windowMs: 2 * config.CACHE_TTL_LIST_S * 1000 },
    },
  };
}

/** Work that must finish before the first request is served (the admin account, when configured). */
export async function prepareServices(services: Services): Promise<void> {
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = services.config;
  if (ADMIN_EMAIL && ADMIN_PASSWORD) {
    await ensureAdminAccount({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, ...services });
  }
}
