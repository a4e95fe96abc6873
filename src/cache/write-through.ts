/**
 * @module
 * Sends a writer's commands (./write-ops.ts) to Redis: what goes before its database commit
 * (announce) and the write-throughs after it. A write-through Redis does not take is owed:
 * kept, the newest per key, and retried in the background until Redis takes it. Until then
 * what Redis holds for that key may be older than what this instance committed, so the read
 * path asks `isOwed` and reads such keys from the database.
 */
import type { Background } from "../background";
import type { Logger } from "../logger";
import { ops, type Op } from "../redis/commands";
import { redisFailureLevel, type RedisPort } from "../redis/port";
import type { Metrics } from "./metrics";
import { sleep } from "./timing";

/** A write-through for one key: an entry's new state, a tombstone, or a counter's change. */
export interface CacheChange {
  key: string;
  op: Op<unknown>;
}

/** Redis did not take a committed write's write-through: it stays owed (and is retried), but the write may not be acknowledged. */
export class WriteNotConfirmedError extends Error {
  override readonly name = "WriteNotConfirmedError";
}

const SETTLE_FIRST_MS = 100;
const SETTLE_MAX_MS = 250;
/** How long a request waits for its write-through to land in strict mode (it has already paid one Redis timeout). */
const MUST_LAND_MS = 2_000;

export function createWriteThrough(options: {
  redis: RedisPort;
  metrics: Metrics;
  logger: Logger;
  replicas?: { count: number; timeoutMs: number };
  owedRetryMs: number;
}) {
  const { redis, metrics, logger, replicas, owedRetryMs } = options;
  /** Write-throughs Redis did not take, newest per key; bounded by the keys written during an outage. */
  const owed = new Map<string, Op<unknown>>();
  let settling: Promise<void> | undefined;

  /**
   * Sends write-throughs in one round trip; with replicas to wait for, one WAIT follows them
   * on the same connection(s), and too few acknowledgements fail it like an outage: a
   * failover could still lose the write, so it stays owed until a replica has it.
   */
  async function apply(writes: readonly Op<unknown>[]): Promise<void> {
    if (!replicas) {
      await redis.pipeline(writes);
      return;
    }
    const replies = await redis.pipeline([...writes, ops.wait(replicas.count, replicas.timeoutMs)]);
    if ((replies.at(-1) as number) < replicas.count)
      throw new Error(`fewer than ${replicas.count} replica(s) acknowledged within ${replicas.timeoutMs} ms`);
  }

  /** One attempt to hand Redis everything owed; entries replaced meanwhile stay owed. */
  async function settleOnce(): Promise<boolean> {
    const batch = [...owed];
    if (batch.length === 0) return true;
    try {
      await apply(batch.map(([, op]) => op));
    } catch {
      return false;
    }
    for (const [key, op] of batch) if (owed.get(key) === op) owed.delete(key);
    logger.info("owed cache write-throughs applied", { keys: batch.length });
    return owed.size === 0;
  }

  /**
   * Retries with backoff for a while (a Worker's waitUntil is bounded, and nothing should
   * outlive its request for long); every later request starts another round while anything
   * is still owed.
   */
  function settleInBackground(background: Background) {
    if (settling || owed.size === 0) return;
    settling = (async () => {
      const giveUpAt = Date.now() + owedRetryMs;
      for (let delay = SETTLE_FIRST_MS; !(await settleOnce()) && Date.now() < giveUpAt; delay = Math.min(delay * 2, SETTLE_MAX_MS)) {
        await sleep(delay);
      }
    })().finally(() => (settling = undefined));
    background("owed cache write-throughs", settling);
  }

  async function writeThrough(changes: CacheChange[], background: Background, options: { mustLand?: boolean } = {}): Promise<void> {
    try {
      await apply(changes.map((change) => change.op));
      return;
    } catch (error) {
      metrics.count("errors");
      logger[redisFailureLevel(error)]("cache write-through failed; owed until Redis takes it", {
        keys: changes.map((change) => change.key),
        error,
      });
      for (const change of changes) owed.set(change.key, change.op);
      settleInBackground(background);
    }
    if (!options.mustLand) return;
    // Waits while the background retries run, MUST_LAND_MS at most. An op replaced meanwhile
    // by a newer one for its key is that one's to land (the newer writer waits for it).
    const stillOwed = () => changes.some((change) => owed.get(change.key) === change.op);
    const giveUpAt = Date.now() + MUST_LAND_MS;
    while (stillOwed() && Date.now() < giveUpAt) {
      settleInBackground(background);
      await Promise.race([settling, sleep(SETTLE_FIRST_MS)]);
    }
    if (stillOwed()) throw new WriteNotConfirmedError("Redis did not take the write-through in time");
  }

  return {
    announce: apply,
    writeThrough,
    settleOwed: settleInBackground,
    /** This instance committed a change to `key` that Redis has not taken yet. */
    isOwed: (key: string) => owed.has(key),
  };
}
