import type { Config } from "./config";
import type { AppDatabase } from "./db/database";
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
  return {
    config,
    runtime,
    version,
    db,
    redis: createRedisPort(redisTransport, { timeoutMs: config.REDIS_TIMEOUT_MS }),
    keys: createRedisKeys(config.REDIS_PREFIX),
    logger: createLogger({ level: config.LOG_LEVEL, fields: { runtime } }),
  };
}
