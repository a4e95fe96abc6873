/**
 * @module
 * Services for the self-hosted servers (Node, Bun, Deno): a libSQL database through its
 * native module and the Redis the configuration names (ioredis, Upstash REST or the embedded
 * store). Only how a request's socket peer is read differs between those servers.
 */
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import { forwardedClient, parseRanges } from "../http/client-address";
import { nodeDocsAssets } from "./docs-assets-node";
import type { Config } from "../config";
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
import type { AppEnv, Runtime, Services } from "../http/env";
import { buildServices, prepareServices } from "../services";

/** The committed drizzle-kit migrations; wrangler applies the same files to D1. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

/** What services need to know of the server in front of the app. */
export interface ServerIdentity {
  runtime: Exclude<Runtime, "workerd">;
  /**
   * The socket peer of the request in `c`, read from what this server hands `app.fetch` as
   * its environment; undefined without a socket (app.request in tests).
   */
  peerAddress(c: Context<AppEnv>): string | undefined;
}

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
 * right (the leftmost when there are fewer).
 */
function clientAddress(config: Config, peerOf: ServerIdentity["peerAddress"]): Services["clientAddress"] {
  const trusted = config.TRUST_PROXY_CIDRS && parseRanges(config.TRUST_PROXY_CIDRS);
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
 * builds the services and prepares them, for a server and for tests that drive the app
 * through `app.request`. Several processes may do this on one database file at once.
 * `seedDemoCatalogue` seeds an empty database (seedIfEmpty), once across such processes.
 */
export async function createSelfHostedServices(
  config: Config,
  server: ServerIdentity,
  extras: Pick<Parameters<typeof buildServices>[0], "wrapProducts" | "wrapRedis"> = {},
) {
  const { client, db, file, journalMode } = await openNodeDatabase(config);
  const services = buildServices({
    config,
    runtime: server.runtime,
    db,
    redisTransport: redisTransport(config),
    ...(config.REDIS_CACHE_URL ? { cacheRedisTransport: createIoRedisTransport(config.REDIS_CACHE_URL) } : {}),
    clientAddress: clientAddress(config, server.peerAddress),
    docsAssets: nodeDocsAssets(),
    ...extras,
  });
  const close = async () => {
    if (services.cacheRedis !== services.redis) await services.cacheRedis.close().catch(() => {});
    await services.redis.close().catch(() => {});
    client.close();
  };
  if (file && journalMode !== "wal") {
    services.logger.warn(
      "the database file cannot use WAL journal mode (is it on a network file system?): processes sharing it block each other's reads and writes",
      { journalMode },
    );
  }
  try {
    await migrateDatabase(db, MIGRATIONS_FOLDER);
    await prepareServices(services);
    await warnIfStateEvicts(services);
  } catch (error) {
    await close();
    throw error;
  }
  const seedDemoCatalogue = () =>
    seedIfEmpty(services.catalogue, backgroundRunner(services.logger), file ? claimingSeed(client) : undefined);
  return { services, close, seedDemoCatalogue };
}

/** Says once, at start-up, when the Redis holding sessions and rate limits may evict keys (also in /health). Redis down: nothing to say yet. */
async function warnIfStateEvicts({ redis, logger }: Services): Promise<void> {
  const memory = await redis.run(ops.info("memory")).catch((): Record<string, string> => ({}));
  if (evictsKeys(memory)) {
    logger.warn(
      "the Redis holding sessions and rate limits may evict keys under memory pressure: set maxmemory-policy noeviction there, and put the cache on REDIS_CACHE_URL (allkeys-lru)",
      {
        maxmemoryPolicy: memory.maxmemory_policy,
      },
    );
  }
}
