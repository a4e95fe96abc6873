import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";

/**
 * Removes this app's cache entries (`{prefix}:cache:*`) with SCAN and UNLINK in batches;
 * sessions, rate-limit state, metrics, reports and the list generation are not under that
 * namespace and stay. Resolves to how many keys were removed.
 */
export async function flushCache(redis: RedisPort, keys: RedisKeys, batchSize = 500): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const page = await redis.run(ops.scan(cursor, keys.cacheEntries, batchSize));
    cursor = page.cursor;
    if (page.keys.length > 0) deleted += await redis.run(ops.unlink(page.keys));
  } while (cursor !== "0");
  return deleted;
}
