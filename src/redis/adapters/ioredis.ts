/**
 * @module
 * The ioredis adapter for one Redis server or a Sentinel-monitored primary (RESP2): a batch is
 * one pipeline; WAIT runs on a connection of its own so that it never holds up other batches.
 */
import { Redis } from "ioredis";
import { toArgs, type RedisCommand } from "../commands";
import { refuseAfterDeadline, withTimeout, type RawReply, type RedisTransport } from "../port";

/** Redis behind Sentinel: the sentinels' `host:port` and the name they monitor the primary under. */
export interface RedisSentinelTarget {
  sentinels: string[];
  name: string;
}

/** `host:port` as ioredis takes a node. */
export const hostAndPort = (node: string) => {
  const [host, port] = node.split(":");
  return { host: host!, port: Number(port) };
};

/**
 * Waits, until `deadline`, for an ioredis client (single or Cluster) to be ready. One "ready"
 * listener however many sends wait (a listener per send made Node warn of a leak under a
 * burst at start-up).
 */
function readyWaiter(client: { readonly status: string; once(event: "ready", listener: () => void): unknown }) {
  let ready: Promise<void> | undefined;
  return async (deadline: number): Promise<void> => {
    if (client.status === "ready") return;
    ready ??= new Promise<void>((resolve) =>
      client.once("ready", () => {
        ready = undefined;
        resolve();
      }),
    );
    await withTimeout(ready, Math.max(0, deadline - Date.now()));
  };
}

type IoRedisClient = {
  readonly status: string;
  once(event: "ready", listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
};

/**
 * An ioredis client (single or Cluster) for every batch, and a second one, made at the first
 * batch with a WAIT (write-throughs waiting for replicas), for those: Redis holds a
 * connection's later commands while a WAIT waits, and the requests' reads on the shared
 * client must not wait with it. `connect` makes a client, with its error listener.
 */
export function connectionsSplitByWait<C extends IoRedisClient>(connect: () => C) {
  const open = () => {
    const client = connect();
    return { client, connected: readyWaiter(client) };
  };
  const shared = open();
  let waiting: ReturnType<typeof open> | undefined;
  return {
    for: (commands: readonly RedisCommand[]) => {
      if (!commands.some((command) => command.name === "wait")) return shared;
      waiting ??= open();
      return waiting;
    },
    close: async () => {
      await Promise.all([shared, waiting].map((connection) => connection?.client.quit().catch(() => connection.client.disconnect())));
    },
  };
}

/** An ioredis pipeline's `[error, value]` pairs as the port's replies. */
export const rawReplies = (results: [Error | null, unknown][] | null): RawReply[] =>
  (results ?? []).map(([error, value]) => (error ? { ok: false, error } : { ok: true, value }));

/**
 * The Node production adapter (`REDIS_URL`, or `REDIS_SENTINELS` with `REDIS_SENTINEL_NAME`). RESP2 keeps reply shapes identical to the other
 * adapters. A batch is one ioredis pipeline: one write, one round trip, per-command errors.
 *
 * Nothing is ever sent late: no offline queue, no re-sending of commands that were in flight
 * when a connection dropped, and while (re)connecting a batch waits for the connection only
 * until the caller's deadline. Old write-throughs replayed into a restarted Redis would
 * otherwise put outdated data back.
 */
export function createIoRedisTransport(target: string | RedisSentinelTarget): RedisTransport {
  const options = {
    protocol: 2 as const,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2000,
    // Reconnect quickly: the circuit breaker, not the client, decides when requests skip Redis.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 200),
  };
  const connections = connectionsSplitByWait(() => {
    const client =
      typeof target === "string"
        ? new Redis(target, options)
        : // Sentinel: ioredis asks the sentinels for the primary, and asks again when a connection drops (failover).
          new Redis({
            ...options,
            name: target.name,
            sentinels: target.sentinels.map(hostAndPort),
            sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 500),
            // A primary demoted by a failover answers READONLY: reconnect, which asks the sentinels again.
            reconnectOnError: (error: Error) => error.message.startsWith("READONLY"),
          });
    // Connection errors surface on each command; the event only needs a listener so it is not unhandled.
    client.on("error", () => {});
    return client;
  });

  return {
    adapter: "ioredis",
    async send(commands: readonly RedisCommand[], deadline: number): Promise<RawReply[]> {
      const { client, connected } = connections.for(commands);
      await connected(deadline);
      // The connection may have come up just as the caller stopped waiting.
      refuseAfterDeadline(deadline);
      return rawReplies(await client.pipeline(commands.map(toArgs)).exec());
    },
    close: connections.close,
  };
}
