import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createApp } from "../app";
import { forwardedClient, parseRanges } from "../http/client-address";
import { nodeDocsAssets } from "./docs-assets-node";
import { Cron } from "croner";
import { ConfigError, parseConfig, type Config } from "../config";
import { migrateDatabase, openNodeDatabase } from "../db/libsql-node";
import { claimingSeed } from "../db/seed-claim";
import { createEmbeddedTransport } from "../redis/adapters/embedded";
import { ops } from "../redis/commands";
import { evictsKeys } from "../redis/stats";
import { createIoRedisTransport } from "../redis/adapters/ioredis";
import { createIoRedisClusterTransport } from "../redis/adapters/ioredis-cluster";
import { createUpstashTransport } from "../redis/adapters/upstash";
import type { RedisTransport } from "../redis/port";
import { backgroundRunner } from "../background";
import { seedIfEmpty } from "../catalogue/demo-catalogue";
import type { Services } from "../http/env";
import { buildServices, prepareServices } from "../services";
import { hashPassword } from "../auth/password";
import { randomBytes, toBase64Url } from "../encoding";

/** The committed drizzle-kit migrations; wrangler applies the same files to D1. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

function redisTransport({ redis, REDIS_TIMEOUT_MS }: Config): RedisTransport {
  switch (redis.adapter) {
    case "ioredis":
      if ("clusterNodes" in redis) return createIoRedisClusterTransport(redis.clusterNodes);
      if ("sentinels" in redis) return createIoRedisTransport({ sentinels: redis.sentinels, name: redis.sentinelName });
      return createIoRedisTransport(redis.url);
    case "upstash":
      return createUpstashTransport({ ...redis, timeoutMs: REDIS_TIMEOUT_MS });
    case "embedded":
      return createEmbeddedTransport();
  }
}

/**
 * The socket's peer address. With TRUST_PROXY=true, the client X-Forwarded-For names: with
 * TRUST_PROXY_CIDRS, only when the peer is one of those proxies, walking past every one of
 * them from the right (src/http/client-address.ts); else the entry TRUST_PROXY_HOPS from the
 * right (the leftmost when there are fewer). Requests without a socket (app.request in tests)
 * have no peer.
 */
function nodeClientAddress(config: Config): Services["clientAddress"] {
  const trusted = config.TRUST_PROXY_CIDRS && parseRanges(config.TRUST_PROXY_CIDRS);
  const peerOf = (c: Parameters<Services["clientAddress"]>[0]) => {
    try {
      return getConnInfo(c).remote.address;
    } catch {
      return undefined;
    }
  };
  return (c) => {
    if (!config.TRUST_PROXY) return peerOf(c);
    const forwardedFor = c.req.header("x-forwarded-for");
    if (trusted) {
      const peer = peerOf(c);
      return peer === undefined ? undefined : forwardedClient(peer, forwardedFor, trusted);
    }
    // Each trusted proxy appends the address it was connected from; everything to the left
    // of those entries came from the client, who can write anything there.
    const entries = forwardedFor?.split(",").map((entry) => entry.trim()) ?? [];
    return entries[Math.max(0, entries.length - config.TRUST_PROXY_HOPS)] || peerOf(c);
  };
}

/**
 * Opens the database (bringing its schema up to date) and Redis the configuration names,
 * builds the services and prepares them, for the Node server and for tests that drive the
 * app through `app.request`. Several processes may do this on one database file at once.
 * `seedDemoCatalogue` seeds an empty database (seedIfEmpty), once across such processes.
 */
export async function createNodeServices(config: Config, extras: Pick<Parameters<typeof buildServices>[0], "wrapProducts" | "wrapRedis"> = {}) {
  const { client, db, file, journalMode } = await openNodeDatabase(config);
  const services = buildServices({
    config,
    runtime: "node",
    db,
    redisTransport: redisTransport(config),
    ...(config.REDIS_CACHE_URL ? { cacheRedisTransport: createIoRedisTransport(config.REDIS_CACHE_URL) } : {}),
    clientAddress: nodeClientAddress(config),
    docsAssets: nodeDocsAssets(),
    ...extras,
  });
  const close = async () => {
    if (services.cacheRedis !== services.redis) await services.cacheRedis.close().catch(() => {});
    await services.redis.close().catch(() => {});
    client.close();
  };
  if (file && journalMode !== "wal") {
    services.logger.warn("the database file cannot use WAL journal mode (is it on a network file system?): processes sharing it block each other's reads and writes", { journalMode });
  }
  try {
    await migrateDatabase(db, MIGRATIONS_FOLDER);
    await prepareServices(services);
    await warnIfStateEvicts(services);
  } catch (error) {
    await close();
    throw error;
  }
  const seedDemoCatalogue = () => seedIfEmpty(services.catalogue, backgroundRunner(services.logger), file ? claimingSeed(client) : undefined);
  return { services, close, seedDemoCatalogue };
}

/** Says once, at start-up, when the Redis holding sessions and rate limits may evict keys (also in /health). Redis down: nothing to say yet. */
async function warnIfStateEvicts({ redis, logger }: Services): Promise<void> {
  const memory = await redis.run(ops.info("memory")).catch((): Record<string, string> => ({}));
  if (evictsKeys(memory)) {
    logger.warn("the Redis holding sessions and rate limits may evict keys under memory pressure: set maxmemory-policy noeviction there, and put the cache on REDIS_CACHE_URL (allkeys-lru)", {
      maxmemoryPolicy: memory.maxmemory_policy,
    });
  }
}

/** The development admin's email: made on a local first start when no admin is configured. */
export const DEVELOPMENT_ADMIN_EMAIL = "admin@jollyjet.local";

/**
 * A local file database outside production: an empty one gets the demo catalogue, and when
 * no admin is configured a development admin is made (once: resolves to its credentials
 * then, to be shown once; later starts find it). Best effort: a failure is logged.
 */
async function prepareLocalDevelopment(services: Services, seedDemoCatalogue: () => Promise<number>): Promise<{ email: string; password: string } | undefined> {
  const { config, logger, users } = services;
  if (!config.DATABASE_URL.startsWith("file:") || config.NODE_ENV === "production") return undefined;
  const products = await seedDemoCatalogue().catch((error: unknown) => {
    logger.warn("demo catalogue seeding failed", { error });
    return 0;
  });
  if (products > 0) logger.info("seeded demo catalogue", { products });
  if (config.ADMIN_TOKEN || config.ADMIN_EMAIL || (await users.findByEmail(DEVELOPMENT_ADMIN_EMAIL))) return undefined;
  const password = toBase64Url(randomBytes(12));
  // Created only if absent: of several processes starting at once, one makes it and shows
  // its password (overwriting it, as ensureAdminAccount would, makes the others' shown ones wrong).
  const created = await users.create({ email: DEVELOPMENT_ADMIN_EMAIL, passwordHash: await hashPassword(password), roles: ["user", "admin"] });
  return created && { email: DEVELOPMENT_ADMIN_EMAIL, password };
}

/** The consistency run on CONSISTENCY_CRON (croner; `protect` skips a tick while the previous run is still going). */
function scheduleConsistency(services: Services): Cron {
  const { config, logger, runConsistency } = services;
  try {
    return new Cron(config.CONSISTENCY_CRON, { protect: true }, async () => {
      await runConsistency("cron").catch((error: unknown) => logger.warn("consistency run failed", { error }));
    });
  } catch (error) {
    throw new ConfigError(`CONSISTENCY_CRON: not a cron expression (${(error as Error).message})`);
  }
}

/**
 * Defaults of `npm start` outside production, where variables left unset would get in a
 * developer's way: five mistyped passwords would lock them out of signing in for 15 minutes
 * (API.md's auth defaults, 5 per 900 s, still hold in production and wherever they are set).
 */
const DEVELOPMENT_ENVIRONMENT = { RATE_LIMIT_AUTH_MAX: "20", RATE_LIMIT_AUTH_WINDOW_S: "60" };

/** How often a closing server drops the keep-alive sockets that went idle since. */
const CLOSE_POLL_MS = 50;

/**
 * Limits on slow and idle clients, at values public HTTP servers use (nginx's and Node's own
 * defaults are looser; a body here is at most 64 KiB). headersTimeout: a request's headers
 * must arrive within 10 s (slowloris: 408 and the socket closes); requestTimeout: a whole
 * request within 30 s; keepAliveTimeout: an idle keep-alive socket closes after 65 s, longer
 * than the 60 s idle timeout of common load balancers (AWS ALB's default), so the server never
 * closes a socket the balancer is about to reuse; the timeouts are checked every second.
 * maxConnections: past 1,000 open sockets a new one is closed at once (another instance, or
 * the balancer's retry, takes it) rather than slowing every client of the process.
 * Constants for now; NODE_MAX_CONNECTIONS and friends would make them configurable.
 */
export const NODE_SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 1_000,
} as const;

/** Starts the API on Node; resolves once listening. Exported so tests and benchmarks can start real servers. */
export async function startNodeServer(environment: Record<string, unknown>, options: { developmentDefaults?: boolean } = {}) {
  const config = parseConfig(options.developmentDefaults && environment.NODE_ENV !== "production" ? { ...DEVELOPMENT_ENVIRONMENT, ...environment } : environment);
  const { services, close: closeServices, seedDemoCatalogue } = await createNodeServices(config);
  const developmentAdmin = options.developmentDefaults ? await prepareLocalDevelopment(services, seedDemoCatalogue) : undefined;
  let consistencyJob: Cron;
  try {
    consistencyJob = scheduleConsistency(services);
  } catch (error) {
    await closeServices();
    throw error;
  }
  const app = createApp(services);
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const { maxConnections, ...serverOptions } = NODE_SERVER_LIMITS;
      const started = serve({ fetch: app.fetch, port: config.PORT, serverOptions }, () => resolve(started));
      started.maxConnections = maxConnections;
      started.once("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "EADDRINUSE" ? new ConfigError(`PORT ${config.PORT} is already in use: stop whatever listens there, or set PORT to another port`) : error),
      );
    });
  } catch (error) {
    consistencyJob.stop();
    await closeServices();
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://localhost:${port}`;
  // What a first start needs to know, in the one log line it reads.
  services.logger.info("listening", {
    url,
    docs: `${url}/docs`,
    dashboard: `${url}/dashboard`,
    redis: services.redis.adapter,
    database: config.DATABASE_URL.split("?")[0],
    authRateLimit: `${config.RATE_LIMIT_AUTH_MAX} sign-in attempts per ${config.RATE_LIMIT_AUTH_WINDOW_S} s per client`,
    admin: config.ADMIN_TOKEN || config.ADMIN_EMAIL ? "configured (ADMIN_TOKEN / ADMIN_EMAIL)" : options.developmentDefaults && config.NODE_ENV !== "production" && config.DATABASE_URL.startsWith("file:") ? `development admin ${DEVELOPMENT_ADMIN_EMAIL} (its password was shown at the first start; set ADMIN_EMAIL/ADMIN_PASSWORD to choose one)` : "none: set ADMIN_TOKEN, or ADMIN_EMAIL and ADMIN_PASSWORD, for the admin endpoints",
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets — also those
      // that finish their response later (else each would keep the server open for
      // keepAliveTimeout, 65 s).
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const dropIdle = () => "closeIdleConnections" in server && server.closeIdleConnections();
      dropIdle();
      const dropping = setInterval(dropIdle, CLOSE_POLL_MS);
      await stopped.finally(() => clearInterval(dropping));
      consistencyJob.stop();
      await closeServices();
    })());
  return { port, services, close, developmentAdmin };
}
