/**
 * A local HTTP endpoint speaking the subset of the Upstash REST protocol that
 * @upstash/redis 1.39.0 uses, forwarding every command to a real redis-server
 * through ioredis (RESP2). Lets the Upstash adapter (Node and workerd) run
 * against real Redis in tests, with injectable latency and failures.
 *
 * What the client sends (checked against node_modules/@upstash/redis/chunk-*.mjs):
 * - always POST, `Authorization: Bearer <token>`, JSON body, header
 *   `Upstash-Encoding: base64` unless `responseEncoding: false`;
 * - single commands (and commands excluded from auto-pipelining: scan, keys,
 *   hgetall, hkeys, lrange, smembers, dbsize, flushdb, exec, …) to `/`
 *   as `["SET","k","v"]` → `{result}` or non-2xx `{error}`;
 * - pipelines (explicit, and the auto-pipeline that is on by default) to
 *   `/pipeline` as `[["SET","k","v"],…]` → `[{result}|{error},…]`;
 * - `redis.multi()` to `/multi-exec`, same shapes, one MULTI/EXEC.
 * - `subscribe`/`psubscribe` use `/subscribe/<ch>` with SSE; not supported here (404).
 *
 * With `replicaUrl` it stands in for Upstash Global read regions: a request whose commands
 * all only read is answered by the replica, any other by the primary. Every answer carries
 * `upstash-sync-token`: the replication offset of the node that answered (for a write, the
 * primary's offset after it). A request sending a token is answered by the replica once the
 * replica has processed that offset (waiting up to `replicaWaitMs`), else by the primary.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import IORedis, { type Redis } from "ioredis";

/** See test/support/redis-server.ts: `.Redis` is the class in vitest-pool-workers globalSetup. */
type RedisClass = typeof Redis;
type RedisClient = Redis;
const RedisCtor: RedisClass = (IORedis as unknown as { Redis?: RedisClass }).Redis ?? (IORedis as unknown as RedisClass);

export interface UpstashRestFaults {
  /** Delay every request by this many milliseconds before answering (0 = off). */
  latencyMs: number;
  /** When set (e.g. 500), answer every authorised request with this status and `{"error":"injected fault"}` without touching Redis. */
  failStatus: number | null;
}

export interface UpstashRestRequestRecord {
  /** URL path: "/", "/pipeline" or "/multi-exec". */
  path: string;
  /** With a replica: which node answered. */
  answeredBy?: "primary" | "replica";
  /** The sync token the request carried ("" or absent: none). */
  syncToken?: string;
  /** The command arrays of the request, every argument as a string. */
  commands: string[][];
}

export interface UpstashRestServerHandle {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly token: string;
  /** Mutable by tests at run time. */
  readonly faults: UpstashRestFaults;
  /** HTTP requests received (authorised, well-formed), by path, and the commands of each, for round-trip tests. */
  readonly requests: Array<UpstashRestRequestRecord>;
  resetRequests(): void;
  close(): Promise<void>;
}

export interface UpstashRestServerOptions {
  /** redis://127.0.0.1:<port> of the redis-server to forward to. */
  redisUrl: string;
  /** Bearer token clients must send; defaults to a random hex string. */
  token?: string;
  /** Port to listen on (127.0.0.1); defaults to 0 = a random free port. */
  port?: number;
  /** redis://… of a replica of `redisUrl`, to answer read-only requests (see above). */
  replicaUrl?: string;
  /** How long a request with a sync token waits for the replica before the primary answers it. */
  replicaWaitMs?: number;
}

type Json = null | boolean | number | string | Json[];
type CommandReply = { result: Json } | { error: string };
type Route = "single" | "pipeline" | "multi-exec";

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Commands that would break or monopolise the shared connection. */
const UNSUPPORTED = new Set(["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "quit", "reset", "select", "hello"]);

/** Blocking commands run on a short-lived dedicated connection (single-command requests only). */
const BLOCKING = new Set(["blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof"]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the replica may answer: commands that only read (scripts go to the primary, as on Upstash). */
const READ_ONLY = new Set(["get", "mget", "hget", "hgetall", "hmget", "pttl", "ttl", "exists", "scan", "smembers", "sismember", "scard", "lrange", "llen", "dbsize", "ping", "strlen", "type", "zrange", "zscore", "evalsha_ro", "eval_ro"]);

/** The node's position in the replication stream. */
async function replicationOffset(redis: RedisClient): Promise<number> {
  const info = String(await redis.call("INFO", "replication"));
  return Number(/(?:slave_repl_offset|master_repl_offset):(\d+)/.exec(info)?.[1] ?? 0);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error reply from Redis itself (as opposed to a connection/transport failure). */
function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

// ---------------------------------------------------------------------------
// Reply conversion and base64 encoding

/** ioredis (RESP2, utf8) reply → JSON value. */
function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (Array.isArray(value)) return value.map((v: unknown) => toJson(v));
  if (value instanceof Error) return value.message; // nested error reply inside an array
  return String(value);
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/**
 * Mirror of the client's `decode()` (pkg/http.ts): a top-level string is
 * decoded unless it is exactly "OK"; strings directly inside a top-level array
 * are ALWAYS decoded (no "OK" exception there); nested arrays go through
 * `decode()` again. So "OK" is sent raw only where the client leaves it raw,
 * and everything else is base64 — then every string round-trips exactly.
 */
function encodeTop(value: Json): Json {
  if (typeof value === "string") return value === "OK" ? value : b64(value);
  if (Array.isArray(value)) return value.map(encodeArrayElement);
  return value;
}

function encodeArrayElement(value: Json): Json {
  if (typeof value === "string") return b64(value);
  if (Array.isArray(value)) return value.map(encodeTop);
  return value;
}

function encodeReply(reply: CommandReply, base64: boolean): CommandReply {
  if (!base64 || !("result" in reply)) return reply;
  return { result: encodeTop(reply.result) };
}

// ---------------------------------------------------------------------------
// Request parsing

function routeOf(pathname: string): Route | null {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  if (path === "/" || path === "") return "single";
  if (path === "/pipeline") return "pipeline";
  if (path === "/multi-exec") return "multi-exec";
  return null;
}

function toCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, "ERR a command must be a non-empty JSON array");
  }
  return value.map((arg: unknown) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new HttpError(400, `ERR invalid command argument: ${JSON.stringify(arg)}`);
  });
}

function parseCommands(route: Route, raw: string): string[][] {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, "ERR failed to parse request body as JSON");
  }
  if (route === "single") return [toCommand(body)];
  if (!Array.isArray(body) || body.length === 0) {
    throw new HttpError(400, `ERR ${route} body must be a non-empty JSON array of commands`);
  }
  return body.map((c: unknown) => toCommand(c));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, "ERR request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// ---------------------------------------------------------------------------
// Redis execution

function checkSupported(command: string[]): { name: string; args: string[] } {
  const [first = "", ...args] = command;
  const lower = first.toLowerCase();
  if (UNSUPPORTED.has(lower)) {
    throw new HttpError(400, `ERR command '${first}' is not supported by the local Upstash REST server`);
  }
  // Upper-case on purpose: ioredis applies reply transformers by exact command
  // name (e.g. "hgetall" → object), which must not happen here.
  return { name: first.toUpperCase(), args };
}

async function execSingle(redis: RedisClient, command: string[]): Promise<CommandReply> {
  const { name, args } = checkSupported(command);
  let client = redis;
  let dedicated: RedisClient | null = null;
  if (BLOCKING.has(name.toLowerCase())) {
    dedicated = redis.duplicate();
    dedicated.on("error", () => undefined);
    await dedicated.connect();
    client = dedicated;
  }
  try {
    return { result: toJson(await client.call(name, ...args)) };
  } catch (err) {
    if (isReplyError(err)) return { error: errorMessage(err) };
    throw err;
  } finally {
    dedicated?.disconnect();
  }
}

async function execBatch(redis: RedisClient, commands: string[][], transaction: boolean): Promise<CommandReply[]> {
  const parsed = commands.map(checkSupported);
  const batch = transaction ? redis.multi() : redis.pipeline();
  for (const { name, args } of parsed) batch.call(name, ...args);
  let results: Array<[error: Error | null, result: unknown]> | null;
  try {
    results = await batch.exec();
  } catch (err) {
    // e.g. EXECABORT after a command was rejected while queueing
    if (isReplyError(err)) throw new HttpError(400, errorMessage(err));
    throw err;
  }
  if (results === null) throw new HttpError(500, "ERR transaction aborted");
  return results.map(([error, result]): CommandReply => {
    if (error) {
      // A dropped connection fails the whole request, not one command.
      if (!isReplyError(error)) throw error;
      return { error: error.message };
    }
    return { result: toJson(result) };
  });
}

// ---------------------------------------------------------------------------

export async function startUpstashRestServer(options: UpstashRestServerOptions): Promise<UpstashRestServerHandle> {
  const token = options.token ?? randomBytes(24).toString("hex");
  const faults: UpstashRestFaults = { latencyMs: 0, failStatus: null };
  const requests: UpstashRestRequestRecord[] = [];

  const redis: RedisClient = new RedisCtor(options.redisUrl, {
    protocol: 2,
    lazyConnect: true,
    // Fail fast while Redis is down (fault tests) instead of queueing forever.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 50, 500),
  });
  redis.on("error", () => {
    // reconnect noise while redis-server is stopped by a fault test
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Upstash REST test server: cannot connect to ${options.redisUrl}: ${errorMessage(err)}`, { cause: err });
  }

  let replica: RedisClient | undefined;
  if (options.replicaUrl) {
    replica = new RedisCtor(options.replicaUrl, { protocol: 2, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
    replica.on("error", () => undefined);
  }
  const replicaWaitMs = options.replicaWaitMs ?? 1_000;

  /** Whether the replica may answer this request's reads: it has reached the request's sync token (waited for up to replicaWaitMs). */
  async function replicaReady(syncToken: string): Promise<boolean> {
    if (!replica) return false;
    const wanted = syncToken === "" ? 0 : Number(syncToken);
    for (const giveUpAt = Date.now() + replicaWaitMs; ; await delay(5)) {
      if ((await replicationOffset(replica)) >= wanted) return true;
      if (Date.now() >= giveUpAt) return false;
    }
  }

  /**
   * With a replica, a request's commands run one after another, each where Upstash Global
   * runs it: reads on the replica (when ready), writes forwarded to the primary. The answer's
   * token: the primary's offset after the request's writes, else the offset of the reads' node.
   */
  async function execRouted(commands: string[][], syncToken: string, record: UpstashRestRequestRecord): Promise<{ replies: CommandReply[]; token: string }> {
    const readsFrom = replica && (await replicaReady(syncToken)) ? replica : redis;
    let wrote = false;
    const replies: CommandReply[] = [];
    for (const command of commands) {
      const reads = READ_ONLY.has((command[0] ?? "").toLowerCase());
      wrote ||= !reads;
      replies.push(await execSingle(reads ? readsFrom : redis, command));
    }
    record.answeredBy = readsFrom === redis ? "primary" : "replica";
    return { replies, token: String(await replicationOffset(wrote ? redis : readsFrom)) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (faults.latencyMs > 0) await delay(faults.latencyMs);

    if (req.method !== "POST") throw new HttpError(405, "ERR only POST is supported");
    if (req.headers.authorization !== `Bearer ${token}`) {
      sendJson(res, 401, { error: "Unauthorized" });
      return;
    }

    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routeOf(pathname);
    if (route === null) throw new HttpError(404, `ERR unsupported path ${pathname}`);
    const commands = parseCommands(route, raw);
    const syncToken = String(req.headers["upstash-sync-token"] ?? "");
    const record: UpstashRestRequestRecord = { path: pathname, commands, ...(syncToken ? { syncToken } : {}) };
    requests.push(record);

    if (faults.failStatus !== null) {
      sendJson(res, faults.failStatus, { error: "injected fault" });
      return;
    }

    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    if (replica && route !== "multi-exec") {
      const { replies, token: position } = await execRouted(commands, syncToken, record);
      const headers = { "upstash-sync-token": position };
      if (route === "single") sendJson(res, "error" in replies[0]! ? 400 : 200, encodeReply(replies[0]!, base64), headers);
      else sendJson(res, 200, replies.map((r) => encodeReply(r, base64)), headers);
      return;
    }
    if (route === "single") {
      const [command = []] = commands;
      const reply = await execSingle(redis, command);
      sendJson(res, "error" in reply ? 400 : 200, encodeReply(reply, base64));
      return;
    }
    const replies = await execBatch(redis, commands, route === "multi-exec");
    sendJson(
      res,
      200,
      replies.map((r) => encodeReply(r, base64)),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
      else sendJson(res, 500, { error: `ERR ${errorMessage(err)}` });
    });
  });
  server.on("clientError", (_err, socket) => {
    socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  }

  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    redis.disconnect();
    throw new Error("Upstash REST test server: could not determine the listening port");
  }
  const url = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    token,
    faults,
    requests,
    resetRequests(): void {
      requests.length = 0;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        replica?.disconnect();
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      })();
      return closing;
    },
  };
}
