/**
 * @module
 * The cache's read path: one read of the key, then the entry served as it is (HIT), served
 * while one background refresh runs (STALE), or, on a miss, one load per key, version needed
 * and read position in this instance at a time (single-flight), which goes through the
 * loader lock across instances (./loader.ts). A key this instance owes a write-through for,
 * or that a write is in progress on, is read from the database.
 */
import type { Background } from "../background";
import type { PositionContext } from "../client-position";
import type { Logger } from "../logger";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { decodeEntry } from "./entry";
import { fresh, loadedResult, served, usable, type CacheResult, type Loaded } from "./found";
import { createLoader } from "./loader";
import type { Metrics } from "./metrics";
import type { CachePolicy } from "./policy";

export interface CacheReadOptions {
  background: Background;
  /**
   * How to read the key, when not a plain GET: e.g. a value already fetched in a pipeline
   * with other commands, or an MGET with the list generation. `version`: only entries of
   * exactly this version are current (lists: the generation read with them; one above it was
   * filled under a generation Redis has since lost). `fillPolicy`: what a fill by
   * this read uses instead of the policy (e.g. a short life while a write is in progress).
   */
  read?: () => Promise<{ raw: string | null; version?: number; fillPolicy?: CachePolicy }>;
  /** Another key whose owed write-through makes this entry untrustworthy too (lists: the generation). */
  dependsOn?: string;
}

export function createReadPath(options: {
  redis: RedisPort;
  keys: RedisKeys;
  metrics: Metrics;
  logger: Logger;
  positions?: PositionContext;
  /** Whether this instance owes Redis a write-through for the key (see ./write-through.ts). */
  isOwed: (key: string) => boolean;
}) {
  const { redis, metrics, positions, isOwed } = options;
  const { bypass, missThroughLock, refreshInBackground } = createLoader(options);
  /**
   * Where the running request reads (read replicas; '' when at no client's position): a load
   * shares its result only with requests at the same position, so a client that presented
   * its own last write never takes the result of a load another client made on a replica
   * that has not reached it.
   */
  const readingAt = () => {
    const position = positions?.current();
    return position && (position.redis.readAt !== undefined || position.database.readAt !== undefined)
      ? `${position.redis.readAt ?? ""} ${position.database.readAt ?? ""}`
      : "";
  };
  const flights = new Map<string, Promise<CacheResult<unknown>>>();

  return async function get<T>(
    key: string,
    policy: CachePolicy,
    load: () => Promise<Loaded<T>>,
    options: CacheReadOptions,
  ): Promise<CacheResult<T>> {
    let raw: string | null;
    let version: number | undefined;
    let fillPolicy: CachePolicy;
    try {
      ({ raw, version, fillPolicy = policy } = options.read ? await options.read() : { raw: await redis.run(ops.get(key)) });
    } catch (error) {
      return bypass(load, error);
    }
    if (isOwed(key) || (options.dependsOn !== undefined && isOwed(options.dependsOn))) {
      // This instance committed a change Redis has not taken yet: the entry may be outdated.
      return loadedResult(await load(), "BYPASS");
    }
    const entry = raw === null ? undefined : decodeEntry(raw, policy.schema);
    if (entry?.kind === "pending") {
      // A write is in progress: what is cached may be outdated, so read the database.
      metrics.count("misses");
      return loadedResult(await load(), "MISS");
    }
    if (fresh(entry, version)) {
      metrics.count("hits");
      return served(entry, "HIT");
    }
    if (usable(entry, version)) {
      metrics.count("stale");
      refreshInBackground(key, fillPolicy, load, version, options.background);
      return served(entry, "STALE");
    }
    // Miss (absent, outdated or corrupt): one load per key, needed version and read
    // position per instance at a time. A reader that needs a newer version (a list
    // generation read after a write) must not share a load that may have read the
    // database before that write.
    const at = readingAt();
    const flightKey = `${version ?? 0}:${at}:${key}`;
    const inFlight = flights.get(flightKey) as Promise<CacheResult<T>> | undefined;
    if (inFlight) {
      const shared = await inFlight;
      metrics.count("coalesced");
      return shared.status === "BYPASS" ? shared : { ...shared, status: "HIT" };
    }
    const flight = missThroughLock(key, fillPolicy, load, version, at).finally(() => flights.delete(flightKey));
    flights.set(flightKey, flight);
    return flight;
  };
}
