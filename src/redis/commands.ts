import type { LuaScript } from "./script";

/**
 * Redis commands as data. Adapters translate a `RedisCommand` into their client's call;
 * a `Op<T>` pairs a command with the decoder that turns the raw reply (RESP2-shaped from
 * ioredis, JSON from Upstash REST) into one typed value, so every adapter answers alike.
 */
export type RedisCommand =
  | { name: "get"; key: string }
  | { name: "set"; key: string; value: string; pxMs?: number; nx?: boolean; xx?: boolean }
  | { name: "del"; keys: string[] }
  | { name: "unlink"; keys: string[] }
  | { name: "mget"; keys: string[] }
  | { name: "incrby"; key: string; by: number }
  | { name: "hincrby"; key: string; field: string; by: number }
  | { name: "hgetall"; key: string }
  | { name: "pexpire"; key: string; ms: number }
  | { name: "pttl"; key: string }
  | { name: "scan"; cursor: string; match: string; count: number }
  | { name: "sadd"; key: string; members: string[] }
  | { name: "srem"; key: string; members: string[] }
  | { name: "smembers"; key: string }
  | { name: "lpush"; key: string; values: string[] }
  | { name: "ltrim"; key: string; start: number; stop: number }
  | { name: "lrange"; key: string; start: number; stop: number }
  | { name: "evalsha"; sha: string; keys: string[]; args: string[] }
  | { name: "eval"; source: string; keys: string[]; args: string[] }
  | { name: "ping" }
  | { name: "dbsize" }
  | { name: "info"; section: string }
  /** WAIT for the writes before it on its connection (a cluster: on every master the batch reaches). */
  | { name: "wait"; replicas: number; timeoutMs: number };


/** A command plus the decoder of its reply. `script` ops carry their script for the NOSCRIPT fallback. */
export interface Op<T> {
  readonly command: RedisCommand;
  readonly decode: (reply: unknown) => T;
  readonly script?: { source: LuaScript; keys: string[]; args: string[] };
}

export class RedisReplyError extends Error {
  override readonly name = "RedisReplyError";
}

function unexpected(what: string, reply: unknown): never {
  throw new RedisReplyError(`unexpected ${what} reply: ${JSON.stringify(reply)}`);
}

const asNullableString = (reply: unknown): string | null =>
  reply === null || reply === undefined ? null : typeof reply === "string" ? reply : typeof reply === "number" ? String(reply) : unexpected("string", reply);

const asInteger = (reply: unknown): number => {
  const value = typeof reply === "string" ? Number(reply) : reply;
  return typeof value === "number" && Number.isInteger(value) ? value : unexpected("integer", reply);
};

const asStrings = (reply: unknown): string[] =>
  Array.isArray(reply) ? reply.map((item) => asNullableString(item) ?? unexpected("array item", reply)) : unexpected("array", reply);

const asNullableStrings = (reply: unknown): (string | null)[] =>
  Array.isArray(reply) ? reply.map(asNullableString) : unexpected("array", reply);

/** ioredis turns HGETALL into an object; Upstash REST keeps the flat field/value array. */
const asHash = (reply: unknown): Record<string, string> => {
  if (Array.isArray(reply)) {
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[asStrings([reply[i]])[0]!] = asStrings([reply[i + 1]])[0]!;
    return hash;
  }
  if (reply !== null && typeof reply === "object") {
    return Object.fromEntries(Object.entries(reply).map(([field, value]) => [field, asNullableString(value) ?? ""]));
  }
  return unexpected("hash", reply);
};

const asScanPage = (reply: unknown): { cursor: string; keys: string[] } => {
  if (!Array.isArray(reply) || reply.length !== 2) return unexpected("scan", reply);
  return { cursor: String(reply[0]), keys: asStrings(reply[1]) };
};

/** INFO's `field:value` lines (sections headed by `# Name`, CRLF-separated) as an object. */
const asInfo = (reply: unknown): Record<string, string> => {
  if (typeof reply !== "string") return unexpected("info", reply);
  const fields: Record<string, string> = {};
  for (const line of reply.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
};

const isOk = (reply: unknown): boolean => reply === "OK";
const asBoolean = (reply: unknown): boolean => asInteger(reply) === 1;
const passThrough = (reply: unknown): unknown => reply;

const op = <T>(command: RedisCommand, decode: (reply: unknown) => T): Op<T> => ({ command, decode });

/** Builders for every command the app sends; the port's contract suite covers each. */
export const ops = {
  get: (key: string) => op({ name: "get", key }, asNullableString),
  /** Resolves true when the value was written (false when NX found the key, or XX did not). */
  set: (key: string, value: string, options: { pxMs?: number; nx?: boolean; xx?: boolean } = {}) =>
    op({ name: "set", key, value, ...options }, isOk),
  del: (...keys: string[]) => op({ name: "del", keys }, asInteger),
  /** DEL that frees memory in the background on the server: for bulk deletes. */
  unlink: (keys: string[]) => op({ name: "unlink", keys }, asInteger),
  mget: (keys: string[]) => op({ name: "mget", keys }, asNullableStrings),
  incrby: (key: string, by = 1) => op({ name: "incrby", key, by }, asInteger),
  hincrby: (key: string, field: string, by = 1) => op({ name: "hincrby", key, field, by }, asInteger),
  hgetall: (key: string) => op({ name: "hgetall", key }, asHash),
  pexpire: (key: string, ms: number) => op({ name: "pexpire", key, ms }, asBoolean),
  /** Milliseconds left; -1 without expiry, -2 when the key does not exist. */
  pttl: (key: string) => op({ name: "pttl", key }, asInteger),
  scan: (cursor: string, match: string, count: number) => op({ name: "scan", cursor, match, count }, asScanPage),
  sadd: (key: string, members: string[]) => op({ name: "sadd", key, members }, asInteger),
  srem: (key: string, members: string[]) => op({ name: "srem", key, members }, asInteger),
  smembers: (key: string) => op({ name: "smembers", key }, asStrings),
  lpush: (key: string, values: string[]) => op({ name: "lpush", key, values }, asInteger),
  ltrim: (key: string, start: number, stop: number) => op({ name: "ltrim", key, start, stop }, isOk),
  lrange: (key: string, start: number, stop: number) => op({ name: "lrange", key, start, stop }, asStrings),
  ping: () => op({ name: "ping" }, (reply) => reply === "PONG" || unexpected("PONG", reply)),
  /** Keys in the selected database (every app sharing it, not just this prefix). */
  dbsize: () => op({ name: "dbsize" }, asInteger),
  /** One INFO section as `field → value` (empty when the server reports nothing there). */
  info: (section: string) => op({ name: "info", section }, asInfo),
  /**
   * How many replicas have acknowledged the writes sent before it on the same connection,
   * once `replicas` have or `timeoutMs` has passed; on a cluster, the fewest of the masters
   * the batch reaches. It holds the connection meanwhile: keep `timeoutMs` short. ioredis adapters only.
   */
  wait: (replicas: number, timeoutMs: number) => op({ name: "wait", replicas, timeoutMs }, asInteger),
  /** Runs a Lua script: EVAL until the server has it, then EVALSHA (EVAL again on NOSCRIPT). */
  script: <T = unknown>(source: LuaScript, keys: string[], args: (string | number)[], decode: (reply: unknown) => T = passThrough as (reply: unknown) => T): Op<T> => {
    const stringArgs = args.map(String);
    return { command: { name: "eval", source: source.source, keys, args: stringArgs }, decode, script: { source, keys, args: stringArgs } };
  },
  /** Raw EVALSHA for libraries that manage their own scripts (@upstash/ratelimit); their EVAL goes through `script`. */
  evalsha: (sha: string, keys: string[], args: string[]) => op({ name: "evalsha", sha, keys, args }, passThrough),
};

const READ_ONLY = new Set<RedisCommand["name"]>(["get", "mget", "hgetall", "pttl", "scan", "smembers", "lrange", "ping", "dbsize", "info"]);

/** Whether a command only reads (a replica may answer it); scripts count as writes. */
export const isReadOnly = (command: RedisCommand): boolean => READ_ONLY.has(command.name);

/** The keys a command touches, in argument order (none for PING, DBSIZE, INFO and SCAN). */
export function keysOf(command: RedisCommand): string[] {
  switch (command.name) {
    case "del":
    case "unlink":
    case "mget":
    case "eval":
    case "evalsha":
      return command.keys;
    case "ping":
    case "dbsize":
    case "info":
    case "scan":
    case "wait":
      return [];
    default:
      return [command.key];
  }
}

/** Flat argument list in Redis wire order, for clients that take raw arguments (ioredis family). */
export function toArgs(command: RedisCommand): [string, ...(string | number)[]] {
  switch (command.name) {
    case "get":
    case "hgetall":
    case "pttl":
    case "smembers":
      return [command.name, command.key];
    case "set": {
      const args: [string, ...(string | number)[]] = ["set", command.key, command.value];
      if (command.pxMs !== undefined) args.push("PX", command.pxMs);
      if (command.nx) args.push("NX");
      if (command.xx) args.push("XX");
      return args;
    }
    case "del":
    case "unlink":
    case "mget":
      return [command.name, ...command.keys];
    case "incrby":
      return ["incrby", command.key, command.by];
    case "hincrby":
      return ["hincrby", command.key, command.field, command.by];
    case "pexpire":
      return ["pexpire", command.key, command.ms];
    case "scan":
      return ["scan", command.cursor, "MATCH", command.match, "COUNT", command.count];
    case "sadd":
    case "srem":
      return [command.name, command.key, ...command.members];
    case "lpush":
      return ["lpush", command.key, ...command.values];
    case "ltrim":
    case "lrange":
      return [command.name, command.key, command.start, command.stop];
    case "evalsha":
      return ["evalsha", command.sha, command.keys.length, ...command.keys, ...command.args];
    case "eval":
      return ["eval", command.source, command.keys.length, ...command.keys, ...command.args];
    case "ping":
    case "dbsize":
      return [command.name];
    case "info":
      return ["info", command.section];
    case "wait":
      return ["wait", command.replicas, command.timeoutMs];
  }
}
