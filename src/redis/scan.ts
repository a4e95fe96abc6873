/**
 * @module
 * SCAN for background jobs (flush, consistency run): pages of keys and the cursor to resume from.
 */
import { ops } from "./commands";
import type { RedisPort } from "./port";

/**
 * Walks the keys matching `pattern` with SCAN, a page at a time, from `cursor` ("0": the
 * start) to the end; each page carries the cursor to resume from after it. Stop early by
 * leaving the loop. Background jobs only: request paths name their keys.
 * @example for await (const page of scanPages(redis, keys.cacheEntries, 500)) await redis.run(ops.unlink(page.keys));
 */
export async function* scanPages(
  redis: RedisPort,
  pattern: string,
  count: number,
  cursor = "0",
): AsyncGenerator<{ keys: string[]; cursor: string }> {
  do {
    const page = await redis.run(ops.scan(cursor, pattern, count));
    cursor = page.cursor;
    yield page;
  } while (cursor !== "0");
}
