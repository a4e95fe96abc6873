import type { Config } from "./config";
import type { AppDatabase } from "./db/database";
import { ensureAdminAccount } from "./auth/admin-account";
import { createSessionStore } from "./auth/sessions";
import { createCatalogue } from "./catalogue/catalogue";
import { createProductRepository } from "./db/products";
import { createUserRepository } from "./db/users";
import type { Runtime, Services } from "./env";
import { createLogger } from "./logger";
import { createRedisKeys } from "./redis/keys";
import { createRedisPort, type RedisTransport } from "./redis/port";
import { version } from "./version";

/**
 * Assembles the runtime-independent services from what an entry chose (database driver,
 * Redis transport). Entries call this once per process/isolate.
 */
export function buildServices(options: { config: Config; runtime: Runtime; db: AppDatabase; redisTransport: RedisTransport }): Services {
  const { config, runtime, db, redisTransport } = options;
  const redis = createRedisPort(redisTransport, { timeoutMs: config.REDIS_TIMEOUT_MS });
  const keys = createRedisKeys(config.REDIS_PREFIX);
  return {
    config,
    runtime,
    version,
    db,
    redis,
    keys,
    logger: createLogger({ level: config.LOG_LEVEL, fields: { runtime } }),
    users: createUserRepository(db),
    sessions: createSessionStore({ redis, keys, ttlSeconds: config.SESSION_TTL_S }),
    catalogue: createCatalogue({ products: createProductRepository(db) }),
  };
}

/** Work that must finish before the first request is served (the admin account, when configured). */
export async function prepareServices(services: Services): Promise<void> {
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = services.config;
  if (ADMIN_EMAIL && ADMIN_PASSWORD) {
    await ensureAdminAccount({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, ...services });
  }
}
