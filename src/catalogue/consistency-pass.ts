/**
 * @module
 * What the consistency run's passes (./consistency-products.ts, ./consistency-lists.ts) share:
 * what they work with, the tally they add to, and how they carry repairs out.
 */
import type { ProductRepository } from "./repository";
import type { Repair, Verdict } from "./consistency-decision";
import type { Logger } from "../logger";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import type { CachePolicy } from "../cache/cache-service";
import { replaceIfUnchanged } from "../cache/scripts";

/** Where a run reads and writes, and what it logs to. */
export interface ConsistencyContext {
  /** Where the run's lock, cursor and reports are kept. */
  redis: RedisPort;
  /** Where the cache entries are (the same Redis unless REDIS_CACHE_URL). */
  cacheRedis: RedisPort;
  keys: RedisKeys;
  products: ProductRepository;
  productPolicy: CachePolicy;
  logger: Logger;
  /** Runs database reads on the primary (not a read replica): what the cache is compared with. */
  readPrimary: <T>(read: () => Promise<T>) => Promise<T>;
}

/**
 * What a run has counted so far: values by verdict, repairs done, errors. Passes add to it as
 * they go, so that one failing midway keeps what it counted.
 */
export type Tally = Record<Verdict | "repaired" | "errors", number>;

export const emptyTally = (): Tally => ({ consistent: 0, stale: 0, ahead: 0, orphaned: 0, corrupt: 0, repaired: 0, errors: 0 });

/** A repair as its command; `ttlMs` is how long a replacement lives (a deletion ignores it). */
export const repairCommand = (key: string, repair: Repair, ttlMs: number) =>
  ops.script(replaceIfUnchanged, [key], [repair.examined, repair.replacement ?? "", Math.max(1, Math.round(ttlMs))]);

/** Repairs in one round trip (on Workers every round trip is a subrequest): a failed one counts as one error. */
export async function applyRepairs(cacheRedis: RedisPort, repairs: ReturnType<typeof repairCommand>[], tally: Tally): Promise<void> {
  if (repairs.length === 0) return;
  const results = await cacheRedis.pipeline(repairs).catch(() => {
    tally.errors += 1;
    return [];
  });
  tally.repaired += results.filter((done) => done === 1).length;
}
