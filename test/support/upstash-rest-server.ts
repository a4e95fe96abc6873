/**
 * @module
 * A local HTTP endpoint speaking the part of the Upstash REST protocol that @upstash/redis
 * 1.39.0 uses, each command forwarded to a real redis-server through ioredis (RESP2): the
 * Upstash adapter (Node and workerd) runs against real Redis in tests, with injectable latency
 * and failures.
 *
 * What the client sends (checked against node_modules/@upstash/redis/chunk-*.mjs):
 * - always POST, `Authorization: Bearer <token>`, a JSON body, and `Upstash-Encoding: base64`
 *   unless `responseEncoding: false`;
 * - single commands (and those kept out of auto-pipelining: scan, keys, hgetall, hkeys, lrange,
 *   smembers, dbsize, flushdb, exec, …) to `/` as `["SET","k","v"]` → `{result}`, or `{error}`
 *   with a non-2xx status;
 * - pipelines (explicit, and the auto-pipeline that is on by default) to `/pipeline` as
 *   `[["SET","k","v"],…]` → `[{result}|{error},…]`;
 * - `redis.multi()` to `/multi-exec`, the same shapes, as one MULTI/EXEC;
 * - `subscribe`/`psubscribe` to `/subscribe/<channel>` with SSE: not offered here (404).
 *
 * With `replicaUrl` it stands in for Upstash Global's read regions: a request whose commands
 * all only read is answered by the replica, any other by the primary. Every answer carries
 * `upstash-sync-token`: the replication offset of the node that answered (for a write, the
 * primary's offset after it). A request sending a token is answered by the replica once the
 * replica has processed that offset (waiting up to `replicaWaitMs`), else by the primary.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { RedisClient } from "./ioredis-class";

export interface UpstashRestFaults {
  /** Delay every request by this many milliseconds before answering (0 = off). */
  latencyMs: number;
  /** When set (e.g. 500), answer every authorised request with this status and `{"error":"injected fault"}` without touching Redis. */
  failStatus: number | null;
}

export interface UpstashRestRequestRecord {
  /** URL path: "/", "/pipeline" or "/multi-exec". */
  path: string;
  /** The sync token the request carried (absent: none). */
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
  readonly requests: UpstashRestRequestRecord[];
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
  /** How long a request with a sync token waits for the replica before the primary answers it (default 1 s). */
  replicaWaitMs?: number;
}

type Json = null | number | string | Json[];
type CommandReply = { result: Json } | { error: string };
type Command = [name: string, ...args: string[]];
type Route = "single" | "pipeline" | "multi-exec";

/** An HTTP answer: its status, JSON body and headers beyond the content's. */
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What every request is answered from. */
interface Endpoint {
  token: string;
  faults: UpstashRestFaults;
  requests: UpstashRestRequestRecord[];
  primary: Redis;
  replica: Redis | undefined;
  replicaWaitMs: number;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_REPLICA_WAIT_MS = 1_000;
/** How often a request waiting for the replica asks it for its offset. */
const REPLICA_POLL_MS = 5;

const ROUTES = new Map<string, Route>([
  ["/", "single"],
  ["/pipeline", "pipeline"],
  ["/multi-exec", "multi-exec"],
]);

/** Commands that would break or monopolise the shared connection. */
const UNSUPPORTED = new Set([
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "quit",
  "reset",
  "select",
  "hello",
]);

/** Blocking commands run on a short-lived connection of their own, so that they hold up no other request. */
const BLOCKING = new Set(["blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof"]);

/** What the replica may answer: commands that only read (scripts go to the primary, as on Upstash). */
const READ_ONLY = new Set([
  "get",
  "mget",
  "hget",
  "hgetall",
  "hmget",
  "pttl",
  "ttl",
  "exists",
  "scan",
  "smembers",
  "sismember",
  "scard",
  "lrange",
  "llen",
  "dbsize",
  "ping",
  "strlen",
  "type",
  "zrange",
  "zscore",
  "evalsha_ro",
  "eval_ro",
]);

/** A refusal answered with its own status and `{ error: message }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startUpstashRestServer(options: UpstashRestServerOptions): Promise<UpstashRestServerHandle> {
  const primary = await connectPrimary(options.redisUrl);
  const endpoint: Endpoint = {
    token: options.token ?? randomBytes(24).toString("hex"),
    faults: { latencyMs: 0, failStatus: null },
    requests: [],
    primary,
    replica: options.replicaUrl ? connectReplica(options.replicaUrl) : undefined,
    replicaWaitMs: options.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS,
  };
  const server = createServer((req, res) => {
    void answer(endpoint, req)
      .catch(errorAnswer)
      .then((reply) => send(res, reply));
  });
  // A request Node cannot parse gets no answer: its connection closes.
  server.on("clientError", (_error, socket) => socket.destroy());
  let port: number;
  try {
    port = await listen(server, options.port ?? 0);
  } catch (error) {
    primary.disconnect();
    endpoint.replica?.disconnect();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    token: endpoint.token,
    faults: endpoint.faults,
    requests: endpoint.requests,
    resetRequests() {
      endpoint.requests.length = 0;
    },
    close() {
      closing ??= close(server, endpoint);
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Connections and the HTTP server

/**
 * The primary's connection. It fails fast while redis-server is down (fault tests stop it), so
 * that a request answers with an error instead of waiting in ioredis's offline queue.
 */
async function connectPrimary(url: string): Promise<Redis> {
  const redis = new RedisClient(url, {
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(times * 50, 500),
  });
  // Reconnection noise while a fault test has stopped redis-server: the requests fail on their own.
  redis.on("error", () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Upstash REST test server: cannot connect to ${url}: ${errorMessage(error)}`, { cause: error });
  }
  return redis;
}

function connectReplica(url: string): Redis {
  const replica = new RedisClient(url, { protocol: 2, maxRetriesPerRequest: 0, connectTimeout: CONNECT_TIMEOUT_MS });
  // As for the primary: a replica out of reach fails the requests it was to answer.
  replica.on("error", () => undefined);
  return replica;
}

/** Listens on loopback; resolves to the port (the system's choice for 0). */
async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("Upstash REST test server: could not determine the listening port");
  return address.port;
}

async function close(server: Server, endpoint: Endpoint): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections would hold close() open until the clients drop them.
  server.closeAllConnections();
  await closed;
  endpoint.replica?.disconnect();
  try {
    await endpoint.primary.quit();
  } catch {
    // QUIT cannot reach a redis-server a fault test left stopped.
    endpoint.primary.disconnect();
  }
}

function send(res: ServerResponse, { status, body, headers = {} }: Answer): void {
  // A request refused mid-body (too large) was destroyed: there is nobody left to answer.
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------
// One request

async function answer(endpoint: Endpoint, req: IncomingMessage): Promise<Answer> {
  const body = await readBody(req);
  // The injected latency delays every request, refused ones too, as a slow network would.
  if (endpoint.faults.latencyMs > 0) await delay(endpoint.faults.latencyMs);
  if (req.method !== "POST") throw new HttpError(405, "ERR only POST is supported");
  if (req.headers.authorization !== `Bearer ${endpoint.token}`) return { status: 401, body: { error: "Unauthorized" } };
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const route = routeOf(path);
  const commands = parseCommands(route, body);
  const syncToken = header(req, "upstash-sync-token");
  endpoint.requests.push({ path, commands, ...(syncToken ? { syncToken } : {}) });
  if (endpoint.faults.failStatus !== null) return { status: endpoint.faults.failStatus, body: { error: "injected fault" } };

  const { replies, position } = await execute(endpoint, route, commands, syncToken);
  const base64 = header(req, "upstash-encoding").toLowerCase() === "base64";
  const headers: Record<string, string> = position === undefined ? {} : { "upstash-sync-token": position };
  if (route !== "single") return { status: 200, body: replies.map((reply) => encodeReply(reply, base64)), headers };
  const reply = replies[0]!;
  return { status: "error" in reply ? 400 : 200, body: encodeReply(reply, base64), headers };
}

function errorAnswer(error: unknown): Answer {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
  // Redis out of reach, a dropped connection: the whole request fails, as Upstash's would.
  return { status: 500, body: { error: `ERR ${errorMessage(error)}` } };
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

function header(req: IncomingMessage, name: string): string {
  return String(req.headers[name] ?? "");
}

function routeOf(pathname: string): Route {
  // A trailing slash names the same route.
  const route = ROUTES.get(pathname.replace(/\/+$/, "") || "/");
  if (route === undefined) throw new HttpError(404, `ERR unsupported path ${pathname}`);
  return route;
}

function parseCommands(route: Route, body: string): Command[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, "ERR failed to parse request body as JSON");
  }
  if (route === "single") return [toCommand(parsed)];
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new HttpError(400, `ERR ${route} body must be a non-empty JSON array of commands`);
  return parsed.map(toCommand);
}

function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, "ERR a command must be a non-empty JSON array");
  const [name, ...args] = value.map(toArgument);
  return [name!, ...args];
}

/** The client sends numbers and booleans as JSON; Redis takes every argument as a string. */
function toArgument(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new HttpError(400, `ERR invalid command argument: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Running the commands

/**
 * Runs a request's commands. With a replica, a single command or a pipeline runs command by
 * command, each where Upstash Global runs it, and the answer names its replication position
 * (execRouted); a transaction always runs on the primary, as one MULTI/EXEC.
 */
async function execute(
  endpoint: Endpoint,
  route: Route,
  commands: Command[],
  syncToken: string,
): Promise<{ replies: CommandReply[]; position?: string }> {
  if (endpoint.replica && route !== "multi-exec") return execRouted(endpoint, endpoint.replica, commands, syncToken);
  if (route === "single") return { replies: [await execSingle(endpoint.primary, commands[0]!)] };
  return { replies: await execBatch(endpoint.primary, commands, route === "multi-exec") };
}

/**
 * Reads on the replica when it has reached the request's sync token, else on the primary;
 * writes on the primary. The position answered: the primary's offset after the request's
 * writes, else the offset of the node that read.
 */
async function execRouted(
  endpoint: Endpoint,
  replica: Redis,
  commands: Command[],
  syncToken: string,
): Promise<{ replies: CommandReply[]; position: string }> {
  const readsFrom = (await replicaReached(replica, syncToken, endpoint.replicaWaitMs)) ? replica : endpoint.primary;
  let wrote = false;
  const replies: CommandReply[] = [];
  for (const command of commands) {
    const reads = READ_ONLY.has(command[0].toLowerCase());
    wrote ||= !reads;
    replies.push(await execSingle(reads ? readsFrom : endpoint.primary, command));
  }
  return { replies, position: String(await replicationOffset(wrote ? endpoint.primary : readsFrom)) };
}

/** Whether the replica has processed the offset `syncToken` names, asked until `waitMs` has passed. */
async function replicaReached(replica: Redis, syncToken: string, waitMs: number): Promise<boolean> {
  // No token ("") is offset 0: any replica will do.
  const wanted = Number(syncToken);
  for (const giveUpAt = Date.now() + waitMs; ; await delay(REPLICA_POLL_MS)) {
    if ((await replicationOffset(replica)) >= wanted) return true;
    if (Date.now() >= giveUpAt) return false;
  }
}

/** The node's position in the replication stream. */
async function replicationOffset(redis: Redis): Promise<number> {
  const info = String(await redis.call("INFO", "replication"));
  return Number(/(?:slave_repl_offset|master_repl_offset):(\d+)/.exec(info)?.[1] ?? 0);
}

function checkSupported([name, ...args]: Command): { name: string; args: string[] } {
  if (UNSUPPORTED.has(name.toLowerCase()))
    throw new HttpError(400, `ERR command '${name}' is not supported by the local Upstash REST server`);
  // Upper case: ioredis transforms replies by exact command name (e.g. "hgetall" into an object), which must not happen here.
  return { name: name.toUpperCase(), args };
}

async function execSingle(redis: Redis, command: Command): Promise<CommandReply> {
  const { name, args } = checkSupported(command);
  const dedicated = BLOCKING.has(name.toLowerCase()) ? await connectDuplicate(redis) : undefined;
  try {
    return { result: toJson(await (dedicated ?? redis).call(name, ...args)) };
  } catch (error) {
    if (isReplyError(error)) return { error: errorMessage(error) };
    throw error;
  } finally {
    dedicated?.disconnect();
  }
}

async function connectDuplicate(redis: Redis): Promise<Redis> {
  const duplicate = redis.duplicate();
  duplicate.on("error", () => undefined);
  await duplicate.connect();
  return duplicate;
}

async function execBatch(redis: Redis, commands: Command[], transaction: boolean): Promise<CommandReply[]> {
  const batch = transaction ? redis.multi() : redis.pipeline();
  for (const { name, args } of commands.map(checkSupported)) batch.call(name, ...args);
  let results: [error: Error | null, result: unknown][] | null;
  try {
    results = await batch.exec();
  } catch (error) {
    // EXECABORT: Redis refused a command while queueing the transaction.
    if (isReplyError(error)) throw new HttpError(400, errorMessage(error));
    throw error;
  }
  if (results === null) throw new HttpError(500, "ERR transaction aborted");
  return results.map(([error, result]): CommandReply => {
    if (!error) return { result: toJson(result) };
    // A dropped connection fails the whole request, not one command.
    if (!isReplyError(error)) throw error;
    return { error: error.message };
  });
}

/** An error reply from Redis itself, as opposed to a connection failure. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Replies

/** An ioredis RESP2 reply (strings decoded as UTF-8) as JSON. */
function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map(toJson);
  // An error reply nested in an array (EXEC's results).
  if (value instanceof Error) return value.message;
  return String(value);
}

function encodeReply(reply: CommandReply, base64: boolean): CommandReply {
  if (!base64 || !("result" in reply)) return reply;
  return { result: encodeTop(reply.result) };
}

/**
 * The mirror of the client's `decode()` (pkg/http.ts): a top-level string is decoded unless it
 * is exactly "OK"; strings directly inside a top-level array are ALWAYS decoded (no "OK"
 * exception there); nested arrays go through `decode()` again. So "OK" is sent raw only where
 * the client leaves it raw, and everything else in base64: every string round-trips exactly.
 */
function encodeTop(value: Json): Json {
  if (typeof value === "string") return value === "OK" ? value : toBase64(value);
  if (Array.isArray(value)) return value.map(encodeArrayElement);
  return value;
}

function encodeArrayElement(value: Json): Json {
  if (typeof value === "string") return toBase64(value);
  if (Array.isArray(value)) return value.map(encodeTop);
  return value;
}

function toBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}
