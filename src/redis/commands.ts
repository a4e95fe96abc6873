/**
 * @module
 * Redis commands as data, one entry each in COMMANDS: its `ops` builder, its wire arguments,
 * its keys, whether a replica may answer it, its reply decoder and its call on @upstash/redis.
 * Adapters translate a `RedisCommand` into their client's call; an `Op<T>` pairs a command
 * with the decoder that turns the raw reply (src/redis/replies.ts) into one typed value, so
 * every adapter answers alike.
 */
import type { Redis as UpstashRedis } from "@upstash/redis/cloudflare";
import {
  asBoolean,
  asHash,
  asInfo,
  asInteger,
  asNullableString,
  asNullableStrings,
  asScanPage,
  asStrings,
  isOk,
  isPong,
  passThrough,
} from "./replies";
import type { LuaScript } from "./script";

type Arg = string | number;
type UpstashPipeline = ReturnType<UpstashRedis["pipeline"]>;

/**
 * Everything the app knows of one command; a new command is one entry of COMMANDS. Methods,
 * not function properties: `specOf` reads every entry through one widened type, which only
 * method parameters allow.
 */
interface CommandSpec<A extends unknown[], F extends object, T> {
  /** The `ops` builder: its parameters become the command's fields (beside its `name`). */
  fields(...args: A): F;
  /** The arguments after the name, in Redis wire order, for clients that take raw arguments (the ioredis family). */
  wire(command: NoInfer<F>): Arg[];
  /** The keys it touches, in argument order (a Cluster routes by them). */
  keysTouched(command: NoInfer<F>): string[];
  /** Whether it only reads, so that a replica may answer it. */
  readOnly: boolean;
  decode(reply: unknown): T;
  /**
   * Queues it on an @upstash/redis pipeline. Through the client's typed method: a pipeline
   * takes no raw argument list (the client's `exec` sends one command, alone, in a request of its own).
   */
  upstash(pipeline: UpstashPipeline, command: NoInfer<F>): unknown;
}

/** An entry of COMMANDS, its fields inferred from its builder. */
const spec = <A extends unknown[], F extends object, T>(entry: CommandSpec<A, F, T>) => entry;

const theKey = ({ key }: { key: string }) => [key];
const theKeys = ({ keys }: { keys: string[] }) => keys;
const noKeys = (): string[] => [];

/** Commands given nothing but their name (PING, DBSIZE). */
const noArguments = { fields: () => ({}), wire: (): Arg[] => [], keysTouched: noKeys };
/** Commands given one key and nothing else (GET, HGETALL, PTTL, SMEMBERS). */
const justAKey = { fields: (key: string) => ({ key }), wire: theKey, keysTouched: theKey };
/** Commands given a list of keys (UNLINK, MGET). */
const aKeyList = { fields: (keys: string[]) => ({ keys }), wire: theKeys, keysTouched: theKeys };
/** Commands given a key and set members (SADD, SREM). */
const aKeyAndMembers = {
  fields: (key: string, members: string[]) => ({ key, members }),
  wire: ({ key, members }: { key: string; members: string[] }) => [key, ...members],
  keysTouched: theKey,
};
/** Commands given a key and a range of list indexes, both ends included (LTRIM, LRANGE). */
const aKeyAndRange = {
  fields: (key: string, start: number, stop: number) => ({ key, start, stop }),
  wire: ({ key, start, stop }: { key: string; start: number; stop: number }) => [key, start, stop],
  keysTouched: theKey,
};

/** Script arguments on the wire: the number of keys, the keys, then the other arguments. */
const scriptWire = ({ keys, args }: { keys: string[]; args: string[] }): Arg[] => [keys.length, ...keys, ...args];

/** EVAL and EVALSHA alike: a script may write anything its keys name, and answers what it returns. */
const scriptCall = { keysTouched: theKeys, readOnly: false, decode: passThrough };

const INFO_SCRIPT = "return redis.call('INFO', ARGV[1])";

/** Every command the app sends; the port's contract suite covers each. */
const COMMANDS = {
  get: spec({ ...justAKey, readOnly: true, decode: asNullableString, upstash: (pipeline, { key }) => pipeline.get(key) }),
  /** Resolves true when the value was written (false when NX found the key, or XX did not). */
  set: spec({
    fields: (key: string, value: string, options: { pxMs?: number; nx?: boolean; xx?: boolean } = {}) => ({ key, value, ...options }),
    wire: ({ key, value, pxMs, nx, xx }) => [
      key,
      value,
      ...(pxMs === undefined ? [] : ["PX", pxMs]),
      ...(nx ? ["NX"] : []),
      ...(xx ? ["XX"] : []),
    ],
    keysTouched: theKey,
    readOnly: false,
    decode: isOk,
    upstash: (pipeline, { key, value, pxMs, nx, xx }) => {
      const expiry = pxMs === undefined ? {} : { px: pxMs };
      if (nx) return pipeline.set(key, value, { ...expiry, nx: true });
      if (xx) return pipeline.set(key, value, { ...expiry, xx: true });
      return pipeline.set(key, value, expiry);
    },
  }),
  del: spec({
    fields: (...keys: string[]) => ({ keys }),
    wire: theKeys,
    keysTouched: theKeys,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { keys }) => pipeline.del(...keys),
  }),
  /** DEL that frees memory in the background on the server: for bulk deletes. */
  unlink: spec({ ...aKeyList, readOnly: false, decode: asInteger, upstash: (pipeline, { keys }) => pipeline.unlink(...keys) }),
  mget: spec({ ...aKeyList, readOnly: true, decode: asNullableStrings, upstash: (pipeline, { keys }) => pipeline.mget(...keys) }),
  incrby: spec({
    fields: (key: string, by: number = 1) => ({ key, by }),
    wire: ({ key, by }) => [key, by],
    keysTouched: theKey,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { key, by }) => pipeline.incrby(key, by),
  }),
  hincrby: spec({
    fields: (key: string, field: string, by: number = 1) => ({ key, field, by }),
    wire: ({ key, field, by }) => [key, field, by],
    keysTouched: theKey,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { key, field, by }) => pipeline.hincrby(key, field, by),
  }),
  hgetall: spec({ ...justAKey, readOnly: true, decode: asHash, upstash: (pipeline, { key }) => pipeline.hgetall(key) }),
  pexpire: spec({
    fields: (key: string, ms: number) => ({ key, ms }),
    wire: ({ key, ms }) => [key, ms],
    keysTouched: theKey,
    readOnly: false,
    decode: asBoolean,
    upstash: (pipeline, { key, ms }) => pipeline.pexpire(key, ms),
  }),
  /** Milliseconds left; -1 without expiry, -2 when the key does not exist. */
  pttl: spec({ ...justAKey, readOnly: true, decode: asInteger, upstash: (pipeline, { key }) => pipeline.pttl(key) }),
  scan: spec({
    fields: (cursor: string, match: string, count: number) => ({ cursor, match, count }),
    wire: ({ cursor, match, count }) => [cursor, "MATCH", match, "COUNT", count],
    keysTouched: noKeys,
    readOnly: true,
    decode: asScanPage,
    upstash: (pipeline, { cursor, match, count }) => pipeline.scan(cursor, { match, count }),
  }),
  sadd: spec({
    ...aKeyAndMembers,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { key, members }) => pipeline.sadd(key, ...(members as [string, ...string[]])),
  }),
  srem: spec({
    ...aKeyAndMembers,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { key, members }) => pipeline.srem(key, ...members),
  }),
  smembers: spec({ ...justAKey, readOnly: true, decode: asStrings, upstash: (pipeline, { key }) => pipeline.smembers(key) }),
  lpush: spec({
    fields: (key: string, values: string[]) => ({ key, values }),
    wire: ({ key, values }) => [key, ...values],
    keysTouched: theKey,
    readOnly: false,
    decode: asInteger,
    upstash: (pipeline, { key, values }) => pipeline.lpush(key, ...values),
  }),
  ltrim: spec({
    ...aKeyAndRange,
    readOnly: false,
    decode: isOk,
    upstash: (pipeline, { key, start, stop }) => pipeline.ltrim(key, start, stop),
  }),
  lrange: spec({
    ...aKeyAndRange,
    readOnly: true,
    decode: asStrings,
    upstash: (pipeline, { key, start, stop }) => pipeline.lrange(key, start, stop),
  }),
  /** Raw EVALSHA for libraries that manage their own scripts (@upstash/ratelimit); their EVAL goes through `ops.script`. */
  evalsha: spec({
    fields: (sha: string, keys: string[], args: string[]) => ({ sha, keys, args }),
    wire: (command) => [command.sha, ...scriptWire(command)],
    ...scriptCall,
    upstash: (pipeline, { sha, keys, args }) => pipeline.evalsha(sha, keys, args),
  }),
  /** Sent for `ops.script` (which has no builder of its own here: scripts carry their LuaScript). */
  eval: spec({
    fields: (source: string, keys: string[], args: string[]) => ({ source, keys, args }),
    wire: (command) => [command.source, ...scriptWire(command)],
    ...scriptCall,
    upstash: (pipeline, { source, keys, args }) => pipeline.eval(source, keys, args),
  }),
  ping: spec({ ...noArguments, readOnly: true, decode: isPong, upstash: (pipeline) => pipeline.ping() }),
  /** Keys in the selected database (every app sharing it, not just this prefix). */
  dbsize: spec({ ...noArguments, readOnly: true, decode: asInteger, upstash: (pipeline) => pipeline.dbsize() }),
  /** One INFO section as `field → value` (empty when the server reports nothing there). */
  info: spec({
    fields: (section: string) => ({ section }),
    wire: ({ section }) => [section],
    keysTouched: noKeys,
    readOnly: true,
    decode: asInfo,
    // @upstash/redis has no INFO method; a script asks the server the same question.
    upstash: (pipeline, { section }) => pipeline.eval(INFO_SCRIPT, [], [section]),
  }),
  /**
   * How many replicas have acknowledged the writes sent before it on the same connection,
   * once `replicas` have or `timeoutMs` has passed; on a cluster, the fewest of the masters
   * the batch reaches. It holds the connection meanwhile: keep `timeoutMs` short. ioredis adapters only.
   */
  wait: spec({
    fields: (replicas: number, timeoutMs: number) => ({ replicas, timeoutMs }),
    wire: ({ replicas, timeoutMs }) => [replicas, timeoutMs],
    keysTouched: noKeys,
    readOnly: false,
    decode: asInteger,
    // Upstash replicates by itself; configuration refuses REDIS_WAIT_REPLICAS with this adapter.
    upstash: () => {
      throw new Error("WAIT is not available over Upstash REST");
    },
  }),
};

type Commands = typeof COMMANDS;
/** One command as data: its name and its builder's fields, e.g. `{ name: "get", key }`. */
export type RedisCommand = { [N in keyof Commands]: { name: N } & ReturnType<Commands[N]["fields"]> }[keyof Commands];

/** A command plus the decoder of its reply. `script` ops carry their script for the NOSCRIPT fallback. */
export interface Op<T> {
  readonly command: RedisCommand;
  readonly decode: (reply: unknown) => T;
  readonly script?: { source: LuaScript; keys: string[]; args: string[] };
}

/** A command's entry; the name picks it, so the command always has the fields the entry reads. */
const specOf = (command: RedisCommand): CommandSpec<unknown[], object, unknown> => COMMANDS[command.name];

type TableOps = { [N in keyof Commands]: (...args: Parameters<Commands[N]["fields"]>) => Op<ReturnType<Commands[N]["decode"]>> };

/**
 * A builder per entry (Object.entries forgets which entry is which; the cast restores it).
 * EVAL's is only for `ops.script`, which gives it the LuaScript the port needs.
 */
const { eval: evalOp, ...tableOps } = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, entry]: [string, CommandSpec<unknown[], object, unknown>]) => [
    name,
    (...args: unknown[]): Op<unknown> => ({ command: { name, ...entry.fields(...args) } as RedisCommand, decode: entry.decode }),
  ]),
) as TableOps;

/** Builders for every command the app sends (COMMANDS' `fields`), and `script` for Lua. */
export const ops = {
  ...tableOps,
  /** Runs a Lua script: EVAL until the server has it, then EVALSHA (EVAL again on NOSCRIPT). */
  script: <T = unknown>(
    source: LuaScript,
    keys: string[],
    args: (string | number)[],
    decode: (reply: unknown) => T = passThrough as (reply: unknown) => T,
  ): Op<T> => {
    const stringArgs = args.map(String);
    return { command: evalOp(source.source, keys, stringArgs).command, decode, script: { source, keys, args: stringArgs } };
  },
};

/** Whether a command only reads (a replica may answer it); scripts count as writes. */
export const isReadOnly = (command: RedisCommand): boolean => specOf(command).readOnly;

/** The keys a command touches, in argument order (none for PING, DBSIZE, INFO, SCAN and WAIT). */
export const keysOf = (command: RedisCommand): string[] => specOf(command).keysTouched(command);

/** Flat argument list in Redis wire order, for clients that take raw arguments (ioredis family). */
export const toArgs = (command: RedisCommand): [string, ...Arg[]] => [command.name, ...specOf(command).wire(command)];

/** Queues a command on an @upstash/redis pipeline. @throws for WAIT, which Upstash REST does not offer. */
export const queueOnUpstash = (pipeline: UpstashPipeline, command: RedisCommand): void => {
  specOf(command).upstash(pipeline, command);
};
