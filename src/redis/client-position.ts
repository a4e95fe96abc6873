import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Read-your-writes on read replicas (Upstash Global). Upstash names a point in the primary's
 * history with a sync token: a request that sends one is answered from a replica that has
 * reached that point (or from the primary). One client's position is the token of its own
 * last write; it travels with the client (src/http/middleware/read-your-writes.ts), so its
 * later requests, on any instance, never read an older state than it wrote, while other
 * clients read from the nearest replica without waiting.
 */
export interface ClientPosition {
  /**
   * The sync token the client presented: every Redis command of the request is sent with it.
   * Fixed for the request: its own writes are scripts or plain writes on the primary, which
   * it never needs to read back from a replica, so it never waits for their replication.
   */
  readonly readAt: string | undefined;
  /** Whether this request's writes move the client's position (requests that may change state). */
  readonly trackWrites: boolean;
  /** With `trackWrites`: the sync token after the request's latest write, the client's new position. */
  wroteAt: string | undefined;
}

/** The position of the request whose code is running, carried through its async calls. */
export interface PositionContext {
  current(): ClientPosition | undefined;
  run<T>(position: ClientPosition, work: () => T): T;
}

/**
 * AsyncLocalStorage because the Redis commands of a request are issued deep inside services
 * built once per process (sessions, cache, catalogue); passing the position down every call
 * would change every signature for what only the port and the transport read. One storage
 * per set of services, not per process. Workers: the `nodejs_als` compatibility flag.
 */
export function createPositionContext(): PositionContext {
  const storage = new AsyncLocalStorage<ClientPosition>();
  return { current: () => storage.getStore(), run: (position, work) => storage.run(position, work) };
}
