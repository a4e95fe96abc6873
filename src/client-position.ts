/**
 * @module
 * Read-your-writes on read replicas: Upstash Global for Redis, D1 read replication for the
 * database. Each names a point in its primary's history (Upstash: a sync token; D1: a
 * session bookmark), and a read sent with one is answered by a replica that has reached it
 * (or by the primary). One client's position is where its own last write left each store;
 * it travels with the client (src/http/middleware/read-your-writes.ts), so its later
 * requests, on any instance, never read an older state than it wrote, while other clients
 * read from the nearest replica without waiting.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** One request's position: where it reads from in each store, and whether its writes move it. */
export interface ClientPosition {
  /** Whether this request's writes move the client's position (requests that may change state). */
  readonly trackWrites: boolean;
  readonly redis: RedisPosition;
  readonly database: DatabasePosition;
}

interface RedisPosition {
  /**
   * The sync token the client presented: every Redis command of the request is sent with it.
   * Fixed for the request: its own writes are scripts or plain writes on the primary, which
   * it never needs to read back from a replica, so it never waits for their replication.
   */
  readonly readAt: string | undefined;
  /** With `trackWrites`: the sync token after the request's latest write, the client's new position. */
  wroteAt: string | undefined;
}

interface DatabasePosition {
  /** The bookmark the client presented: the request's database session starts there. */
  readonly readAt: string | undefined;
  /**
   * Set by the database when the request opens its session (src/db/d1-sessions.ts): the
   * session's latest bookmark, which with `trackWrites` is the client's new position.
   */
  reached: (() => string | undefined) | undefined;
}

/** A request's position before it has done anything: at what the client presented. */
export function startingPosition(presented: { redis?: string; database?: string }, trackWrites: boolean): ClientPosition {
  return {
    trackWrites,
    redis: { readAt: presented.redis, wroteAt: undefined },
    database: { readAt: presented.database, reached: undefined },
  };
}

/** The position of the request whose code is running, carried through its async calls. */
export interface PositionContext {
  current(): ClientPosition | undefined;
  run<T>(position: ClientPosition, work: () => T): T;
  /**
   * Runs `work` at no client's position: the database's primary, Redis without a sync token.
   * For loads whose result cannot be checked against how far a replica has got (a list is
   * versioned by a Redis generation, not by its rows).
   */
  outside<T>(work: () => T): T;
}

/**
 * AsyncLocalStorage because the commands of a request are issued deep inside services built
 * once per process (sessions, cache, catalogue); passing the position down every call would
 * change every signature for what only the Redis port and the database session read. One
 * storage per set of services, not per process. Workers: the `nodejs_als` compatibility flag.
 */
export function createPositionContext(): PositionContext {
  const storage = new AsyncLocalStorage<ClientPosition | undefined>();
  return {
    current: () => storage.getStore(),
    run: (position, work) => storage.run(position, work),
    outside: (work) => storage.run(undefined, work),
  };
}
