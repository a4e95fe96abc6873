/**
 * @module
 * Emptying the cache on an admin's request (DELETE /api/cache): this app's keys under
 * `{prefix}:cache:` go, every other key of the app stays.
 */
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { scanPages } from "../redis/scan";

/**
 * Removes this app's cache entries (`{prefix}:cache:*`) with SCAN and UNLINK in batches;
 * sessions, rate-limit state, metrics, reports and the list generation are not under that
 * namespace and stay. Resolves to how many keys were removed.
 */
export async function flushCache(redis: RedisPort, keys: RedisKeys, batchSize = 500): Promise<number> {
  let deleted = 0;
  for await (const page of scanPages(redis, keys.cacheEntries, batchSize)) {
    if (page.keys.length > 0) deleted += await redis.run(ops.unlink(page.keys));
  }
  return deleted;
}
