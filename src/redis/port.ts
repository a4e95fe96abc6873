/**
 * @module
 * The Redis port: what the app asks of Redis (`RedisPort.run`, typed ops) and what an adapter
 * implements (`RedisTransport.send`). Commands issued in one tick go out in one round trip; every
 * call is bounded by the Redis timeout and by the caller's deadline.
 */
import { isReadOnly, type Op, type RedisCommand } from "./commands";
import type { ClientPosition, PositionContext } from "../client-position";

type RedisAdapterName = "upstash" | "ioredis" | "embedded";

/** One reply per command: the raw value, or the error Redis answered for that command alone. */
export type RawReply = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * What an adapter implements: send commands together (one round trip where the technology
 * allows it) and report each reply separately. `deadline` (epoch ms) is when the caller
 * stops waiting: a transport must not send anything after it (a command delivered late,
 * e.g. a write-through from before an outage replayed after it, could undo newer state).
 */
export interface RedisTransport {
  readonly adapter: RedisAdapterName;
  /** `sync`: read-your-writes on replicas (src/client-position.ts); adapters without replicas ignore it. */
  send(commands: readonly RedisCommand[], deadline: number, sync?: ReplicaSync): Promise<RawReply[]>;
  /**
   * For a transport whose servers keep script caches of their own (a Cluster: one per
   * master), which cache a script command would reach; undefined while that is not known.
   * Without it, the transport has one.
   */
  scriptCache?(command: RedisCommand): string | undefined;
  close(): Promise<void>;
}

/** What a transport calls last before sending (see RedisTransport): @throws once `deadline` has passed. */
export function refuseAfterDeadline(deadline: number): void {
  if (Date.now() >= deadline) throw new Error("Redis deadline passed before sending");
}

/** The sync token a batch is sent with; the transport replaces it with the one its answer carries. */
export interface ReplicaSync {
  token: string | undefined;
}

type Replies<T extends readonly Op<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Op<infer R> ? R : never };

/**
 * The app's only way to Redis. `run` sends one command; `pipeline` several, and rejects if
 * any of them failed. Commands are not sent one by one: every command issued before the
 * event loop moves on (the same macrotask and the microtasks it queues) leaves in one
 * round trip, whoever issued it (like ioredis's auto-pipelining), so independent callers —
 * a rate-limit check, a session read, a cache read — share a round trip without knowing of
 * each other. A pipeline with a WAIT is the exception: it goes alone, so that nobody else's
 * commands wait behind the replicas' acknowledgement (a transport sends it on a connection
 * of its own). Every round trip is bounded by `timeoutMs` and goes through a circuit
 * breaker. A script goes as EVAL until the server has run it, then as EVALSHA, and again as
 * EVAL when the server answers NOSCRIPT.
 */
export interface RedisPort {
  readonly adapter: RedisAdapterName;
  run<T>(op: Op<T>): Promise<T>;
  pipeline<const T extends readonly Op<unknown>[]>(ops: T): Promise<Replies<T>>;
  close(): Promise<void>;
}

export class RedisTimeoutError extends Error {
  override readonly name = "RedisTimeoutError";
}

/** Refused without trying: the circuit breaker is open after repeated failures. */
export class RedisCircuitOpenError extends Error {
  override readonly name = "RedisCircuitOpenError";
}

export interface BreakerOptions {
  /** Consecutive failed round trips that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one probe may try. */
  openMs: number;
}

/** Told once when the circuit opens (with the failure that opened it) and once when it closes again. */
export type CircuitListener = (state: "open" | "closed", cause?: unknown) => void;

/**
 * The level to log a failed Redis call at: while the circuit is open every call fails the
 * same way and the breaker has said so once, so those are debug; anything else is a warning.
 */
export const redisFailureLevel = (error: unknown): "debug" | "warn" => (error instanceof RedisCircuitOpenError ? "debug" : "warn");

/**
 * Closed: calls go through. After `failureThreshold` consecutive failures (errors or
 * timeouts of the round trip itself, not a command's error reply) it opens: calls fail at
 * once, so requests stop paying the timeout. After `openMs` one call goes through as a
 * probe: success closes the circuit, failure opens it again.
 */
function createBreaker(options: BreakerOptions, onChange: CircuitListener) {
  let failures = 0;
  let openUntil = 0;
  let probing = false;
  return async function guarded<T>(work: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (now < openUntil || (openUntil !== 0 && probing)) throw new RedisCircuitOpenError("Redis circuit open after repeated failures");
    const isProbe = openUntil !== 0;
    probing = isProbe;
    try {
      const result = await work();
      failures = 0;
      openUntil = 0;
      if (isProbe) onChange("closed");
      return result;
    } catch (error) {
      failures += 1;
      if (isProbe || failures >= options.failureThreshold) {
        if (openUntil === 0) onChange("open", error);
        openUntil = Date.now() + options.openMs;
      }
      throw error;
    } finally {
      if (isProbe) probing = false;
    }
  };
}

const isNoScript = (reply: RawReply): boolean => !reply.ok && /NOSCRIPT/i.test(reply.error.message);

/** `work`, or a RedisTimeoutError once `timeoutMs` have passed. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** After the current macrotask and every microtask it queued (setImmediate on Node; workerd has no setImmediate). */
const afterThisTick: (work: () => void) => void =
  typeof setImmediate === "function" ? (work) => setImmediate(work) : (work) => setTimeout(work, 0);

/**
 * The batch split by the sync token its commands must be read at: one group (one round trip)
 * when no request carries a token, as without replicas; a replica waits only for the clients
 * that asked it to.
 */
function bySyncToken(batch: Queued[]): Map<string | undefined, Queued[]> {
  const groups = new Map<string | undefined, Queued[]>();
  for (const item of batch) {
    const token = item.position?.redis.readAt;
    const group = groups.get(token);
    if (group) group.push(item);
    else groups.set(token, [item]);
  }
  return groups;
}

/** Most commands in one round trip; more issued in one tick leave in several. */
const MAX_BATCH = 512;

interface Queued {
  op: Op<unknown>;
  /** The client position of the request that issued it, when positions are carried. */
  position: ClientPosition | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Wraps an adapter's transport into the port.
 * @example const redis = createRedisPort(createIoRedisTransport(url), { timeoutMs: 500 });
 *          const [value, hits] = await redis.pipeline([ops.get(k), ops.incrby(counter)]);
 */
export function createRedisPort(
  transport: RedisTransport,
  options: { timeoutMs: number; breaker?: BreakerOptions; onCircuitChange?: CircuitListener; positions?: PositionContext },
): RedisPort {
  const guarded = createBreaker(options.breaker ?? { failureThreshold: 5, openMs: 500 }, options.onCircuitChange ?? (() => {}));
  let queue: Queued[] = [];
  /**
   * The scripts the server is known to hold (`<sha> <script cache>`): it answered them
   * without NOSCRIPT. Any other script goes as EVAL, which caches it in the same round trip.
   * EVALSHA first would cost every script's first use a second round trip, which a batch
   * answered after its deadline does not get: the first start's seeding on the embedded
   * store owed write-throughs that way (issue 22).
   */
  const knownScripts = new Set<string>();

  /** The command to send for `op`; for a script, also how `knownScripts` names it (none where its cache is unknown). */
  async function toWire(op: Op<unknown>): Promise<{ command: RedisCommand; script?: string }> {
    if (!op.script) return { command: op.command };
    const cache = transport.scriptCache ? transport.scriptCache(op.command) : "";
    if (cache === undefined) return { command: op.command };
    const sha = await op.script.source.sha1();
    const script = `${sha} ${cache}`;
    if (!knownScripts.has(script)) return { command: op.command, script };
    return { command: { name: "evalsha", sha, keys: op.script.keys, args: op.script.args }, script };
  }

  /** Sends the ops as one batch and settles each: its decoded reply, or its error. */
  async function sendSettled(batch: readonly Op<unknown>[], deadline: number, sync: ReplicaSync | undefined): Promise<RawReply[]> {
    const readAt = sync?.token;
    const wire = await Promise.all(batch.map(toWire));
    const replies = await transport.send(
      wire.map(({ command }) => command),
      deadline,
      sync,
    );
    // Scripts the server no longer has (restart, SCRIPT FLUSH, failover) go again as EVAL —
    // unless the caller has already given up on them. At the same position as the
    // first send (that answer replaced `sync.token`); the retry's answer is the latest.
    const retry = batch.flatMap((op, index) => (op.script && isNoScript(replies[index]!) ? [index] : []));
    if (retry.length > 0 && Date.now() < deadline) {
      // A WAIT counts the writes sent before it: it goes again after the retried scripts, to count them too.
      const resent = [...retry, ...batch.flatMap((op, index) => (op.command.name === "wait" ? [index] : []))];
      const retrySync = sync && { token: readAt };
      const again = await transport.send(
        resent.map((index) => batch[index]!.command),
        deadline,
        retrySync,
      );
      for (const [i, index] of resent.entries()) replies[index] = again[i]!;
      if (sync && retrySync?.token !== undefined) sync.token = retrySync.token;
    }
    wire.forEach(({ script }, index) => {
      const reply = replies[index];
      if (script === undefined || !reply) return;
      if (reply.ok) knownScripts.add(script);
      else if (isNoScript(reply)) knownScripts.delete(script);
    });
    return batch.map((op, index): RawReply => {
      const reply = replies[index];
      if (!reply) return { ok: false, error: new Error(`${transport.adapter}: missing reply for ${op.command.name}`) };
      if (!reply.ok) return reply;
      try {
        return { ok: true, value: op.decode(reply.value) };
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    });
  }

  function flush(): void {
    const batch = queue;
    queue = [];
    for (const [token, group] of bySyncToken(batch)) sendGroup(group, token);
  }

  /**
   * One round trip for `group`. With a sync token, or writes that move a client's position,
   * the transport is given a ReplicaSync; the token it comes back with becomes the position
   * of every client whose write was in the batch.
   */
  function sendGroup(group: Queued[], token: string | undefined): void {
    const movesPosition = (item: Queued) => item.position?.trackWrites === true && !isReadOnly(item.op.command);
    const sync: ReplicaSync | undefined = token !== undefined || group.some(movesPosition) ? { token } : undefined;
    guarded(() =>
      withTimeout(
        sendSettled(
          group.map((item) => item.op),
          Date.now() + options.timeoutMs,
          sync,
        ),
        options.timeoutMs,
      ),
    ).then(
      (replies) =>
        group.forEach((item, index) => {
          if (sync?.token !== undefined && movesPosition(item)) item.position!.redis.wroteAt = sync.token;
          const reply = replies[index]!;
          if (reply.ok) item.resolve(reply.value);
          else item.reject(reply.error);
        }),
      (error: unknown) => {
        for (const item of group) item.reject(error);
      },
    );
  }

  function enqueue<T>(op: Op<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (queue.push({ op, position: options.positions?.current(), resolve: resolve as (value: unknown) => void, reject }) === 1)
        afterThisTick(() => queue.length > 0 && flush());
      else if (queue.length >= MAX_BATCH) flush();
    });
  }

  return {
    adapter: transport.adapter,
    run: enqueue,
    pipeline<const T extends readonly Op<unknown>[]>(batch: T): Promise<Replies<T>> {
      if (!batch.some((op) => op.command.name === "wait")) return Promise.all(batch.map(enqueue)) as Promise<Replies<T>>;
      // A round trip of its own (see RedisPort).
      const position = options.positions?.current();
      const items: Queued[] = [];
      const replies = batch.map((op) => new Promise((resolve, reject) => items.push({ op, position, resolve, reject })));
      sendGroup(items, position?.redis.readAt);
      return Promise.all(replies) as Promise<Replies<T>>;
    },
    close: () => transport.close(),
  };
}
