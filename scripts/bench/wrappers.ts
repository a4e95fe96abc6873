/**
 * Instrumentation the benchmark puts around the app through the seams buildServices()
 * offers (`wrapRedis`, `wrapProducts`) — nothing in src/ changes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ProductRepository } from "../../src/db/products";
import type { RedisCommand } from "../../src/redis/commands";
import type { RawReply, RedisTransport } from "../../src/redis/port";
import type { RedisCounters } from "./protocol";

/** Answers a command locally (a reply) or lets it go to Redis (undefined). */
export type LocalAnswer = (command: RedisCommand) => RawReply | undefined;

type SendArgs = Parameters<RedisTransport["send"]>;

export const newCounters = (): RedisCounters => ({ issuedRoundTrips: 0, issuedCommands: 0, roundTrips: 0, commands: 0 });

/**
 * Counts round trips (send() calls) and commands. With `answer`, commands it answers never
 * leave the process; a send() whose commands are all answered is no round trip at all.
 */
export function countingTransport(inner: RedisTransport, counters: RedisCounters, answer?: LocalAnswer): RedisTransport {
  if (!answer) {
    // Whatever else send() takes (e.g. a deadline) is passed through untouched.
    return {
      adapter: inner.adapter,
      send(...args: SendArgs) {
        counters.issuedRoundTrips += 1;
        counters.issuedCommands += args[0].length;
        counters.roundTrips += 1;
        counters.commands += args[0].length;
        return inner.send(...args);
      },
      close: () => inner.close(),
    };
  }
  return {
    adapter: inner.adapter,
    async send(...args: SendArgs) {
      const commands = args[0];
      counters.issuedRoundTrips += 1;
      counters.issuedCommands += commands.length;
      const local = commands.map(answer);
      const remote = commands.filter((_, index) => local[index] === undefined);
      if (remote.length === 0) return local as RawReply[];
      counters.roundTrips += 1;
      counters.commands += remote.length;
      const forwarded = [...args] as SendArgs;
      forwarded[0] = remote;
      const replies = await inner.send(...forwarded);
      let next = 0;
      return local.map((reply) => reply ?? replies[next++] ?? { ok: false, error: new Error("bench: missing reply") });
    },
    close: () => inner.close(),
  };
}

/**
 * "Product cache disabled" without touching src/: every command on a product cache key
 * (`{prefix}:cache:product:*`) or its loader lock (`{prefix}:lock:cache:product:*`) is
 * answered in-process and never reaches Redis —
 *   GET → nil (always a miss), SET (the lock's SET NX) → OK (lock always acquired),
 *   EVALSHA/EVAL (the versioned fill and the lock release) → 1, and nothing is written.
 * So every GET /api/products/:id goes to the database; the only Redis work left is the
 * rate-limit check (plus the once-a-second metrics flush), as if the cache were switched off.
 */
export function productCacheDisabled(prefix: string): LocalAnswer {
  const entries = `${prefix}:cache:product:`;
  const locks = `${prefix}:lock:cache:product:`;
  const ours = (key: string) => key.startsWith(entries) || key.startsWith(locks);
  return (command) => {
    switch (command.name) {
      case "get":
        return ours(command.key) ? { ok: true, value: null } : undefined;
      case "set":
        return ours(command.key) ? { ok: true, value: "OK" } : undefined;
      case "evalsha":
      case "eval":
        return command.keys.length > 0 && command.keys.every(ours) ? { ok: true, value: 1 } : undefined;
      default:
        return undefined;
    }
  };
}

export interface DatabaseProbe {
  /** Added before each findById / findByIds (0: no timer at all). */
  latencyMs: number;
  loads: number;
  batches: number;
  largestBatch: number;
}

export const newDatabaseProbe = (latencyMs: number): DatabaseProbe => ({ latencyMs, loads: 0, batches: 0, largestBatch: 0 });

/** Counts database loads and delays them by `probe.latencyMs` (a remote libSQL/D1 round trip). */
export function probedRepository(repository: ProductRepository, probe: DatabaseProbe): ProductRepository {
  return {
    ...repository,
    async findById(id) {
      probe.loads += 1;
      if (probe.latencyMs > 0) await sleep(probe.latencyMs);
      return repository.findById(id);
    },
    async findByIds(ids) {
      probe.loads += 1;
      probe.batches += 1;
      probe.largestBatch = Math.max(probe.largestBatch, ids.length);
      if (probe.latencyMs > 0) await sleep(probe.latencyMs);
      return repository.findByIds(ids);
    },
  };
}
