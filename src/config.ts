/**
 * @module
 * The one configuration schema for every runtime. Entries feed it the raw environment
 * (process.env on Node, Bun and Deno, the Worker's string bindings) once per process/isolate;
 * nothing else reads the environment. Besides each variable's own check, it picks the Redis
 * adapter and refuses combinations that cannot work (ConfigError names them).
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: "must be a positive integer" })
    .int("must be a positive integer")
    .positive("must be a positive integer")
    .default(fallback);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === "" ? undefined : value));
/** Comma-separated `host:port` entries; unset or empty: undefined. */
const hostPortList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((node) => node.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, "must be host:port entries separated by commas")))
  .transform((nodes) => (nodes.length === 0 ? undefined : nodes));
const booleanFlag = z
  .enum(["true", "false"], { error: "must be true or false" })
  .default("false")
  .transform((value) => value === "true");

const environmentSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number({ error: "must be a port number" }).int().min(0).max(65535, "must be a port number").default(8787),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|:memory:$|libsql:\/\/|https?:\/\/|wss?:\/\/)/, "must be a libSQL URL (file:, :memory:, libsql:, http(s):)")
    .default("file:./.data/jollyjet.db"),
  DATABASE_AUTH_TOKEN: optionalText,
  /** Node, `file:` databases: how long a write waits for another process's lock before it fails (503). */
  DATABASE_BUSY_TIMEOUT_MS: z.coerce
    .number({ error: "must be a whole number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(0)
    .max(600_000)
    .default(5000),
  LIBSQL_URL: optionalText,
  /** Redis Cluster: comma-separated `host:port` of some of its nodes (the rest are discovered). */
  REDIS_CLUSTER_NODES: hostPortList,
  /** Redis behind Sentinel: comma-separated `host:port` of the sentinels, and the primary's name there. */
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: optionalText,
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  /**
   * A separate Redis for cache entries only (with `allkeys-lru` and a maxmemory), so the cache
   * can never evict the sessions, rate-limit windows and reports kept on the other one.
   */
  REDIS_CACHE_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  UPSTASH_REDIS_REST_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  UPSTASH_REDIS_REST_TOKEN: optionalText,
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, "must be 1-32 characters of letters, digits, _ . -")
    .default("jollyjet"),
  REDIS_TIMEOUT_MS: positiveInt(500),
  /**
   * Replicas that must acknowledge a cache write-through before it counts as done (WAIT), so a
   * failover cannot lose it; until then it is owed and retried. Unset: 1 with Sentinel or
   * Cluster (a Cluster waits only at masters that have a replica), else 0.
   */
  REDIS_WAIT_REPLICAS: z.coerce
    .number({ error: "must be a whole number of replicas" })
    .int("must be a whole number of replicas")
    .min(0)
    .max(16)
    .optional(),
  ADMIN_EMAIL: optionalText,
  ADMIN_PASSWORD: optionalText,
  ADMIN_TOKEN: optionalText,
  RATE_LIMIT_MAX: positiveInt(100),
  RATE_LIMIT_WINDOW_S: positiveInt(60),
  RATE_LIMIT_AUTH_MAX: positiveInt(5),
  RATE_LIMIT_AUTH_WINDOW_S: positiveInt(900),
  /**
   * Sign-in attempts on one account per RATE_LIMIT_AUTH_WINDOW_S from addresses it has not
   * signed in from before, all of them together: slows guessing spread over many addresses
   * without letting anyone lock the owner out (their own address is exempt).
   */
  RATE_LIMIT_AUTH_EMAIL_MAX: positiveInt(50),
  RATE_LIMIT_FAIL_MODE: z.enum(["open", "closed"]).default("open"),
  /** The auth policy guards password guessing: it fails closed unless told otherwise, whatever RATE_LIMIT_FAIL_MODE says. */
  RATE_LIMIT_AUTH_FAIL_MODE: z.enum(["open", "closed"]).default("closed"),
  TRUST_PROXY: booleanFlag,
  /** With TRUST_PROXY: how many proxies in front of the app append to X-Forwarded-For; the client is that many entries from the right. */
  TRUST_PROXY_HOPS: positiveInt(1),
  /**
   * With TRUST_PROXY: the proxies' addresses (comma-separated CIDRs or addresses). X-Forwarded-For
   * is honoured only from a socket peer in them, and the client is the first entry from the
   * right outside them (TRUST_PROXY_HOPS is then not used).
   */
  TRUST_PROXY_CIDRS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine((entry) => ipaddr.isValidCIDR(entry) || ipaddr.isValid(entry), "must be CIDR ranges or addresses separated by commas"),
      ),
    )
    .transform((ranges) => (ranges.length === 0 ? undefined : ranges)),
  /**
   * Key of the app's HMAC, which signs session and consistency tokens (at least 32 characters).
   * Unset: a random key kept in Redis, created by the first instance that needs it and shared by all of them.
   */
  SESSION_SECRET: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  /** Comma-separated origins allowed to call the API from browsers (CORS); empty: same-origin only. */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be http(s) origins separated by commas" }))),
  COOKIE_SECURE: booleanFlag,
  /**
   * `strict`: a product write is refused (503) when Redis cannot be told of it, so no instance
   * serves the previous version after a 2xx; `available`: writes go on while Redis is
   * unreachable, and other instances may serve the previous version until Redis takes the
   * owed write-through (README: the measured window).
   */
  CACHE_CONSISTENCY: z.enum(["strict", "available"], { error: "must be strict or available" }).default("strict"),
  CACHE_TTL_PRODUCT_S: positiveInt(1800),
  CACHE_TTL_LIST_S: positiveInt(600),
  /** Most list pages filled per list lifetime (2 × CACHE_TTL_LIST_S), across instances: every distinct query is a key a client chooses. */
  CACHE_LIST_MAX_ENTRIES: positiveInt(1000),
  SESSION_TTL_S: positiveInt(86400),
  CONSISTENCY_CRON: z.string().trim().min(1).default("*/5 * * * *"),
  /** Most cached lists one consistency run compares with a fresh query (each is a database query). */
  CONSISTENCY_LIST_SAMPLE: positiveInt(20),
  /**
   * Most batches of 500 cached products one consistency run examines before it stops and
   * leaves the rest to the next run. Unset: unbounded on the self-hosted servers, 200 on
   * Workers (a batch costs about four subrequests; see the README on plan limits).
   */
  CONSISTENCY_MAX_BATCHES: z.coerce
    .number({ error: "must be a positive integer" })
    .int("must be a positive integer")
    .positive("must be a positive integer")
    .optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** How often an instance adds its counted metrics to Redis (0: after every request). */
  METRICS_FLUSH_MS: z.coerce.number({ error: "must be a whole number of milliseconds" }).int().min(0).max(60_000).default(1000),
});

type Environment = z.infer<typeof environmentSchema>;

type RedisSelection =
  | { adapter: "ioredis"; url: string }
  | { adapter: "ioredis"; clusterNodes: string[] }
  | { adapter: "ioredis"; sentinels: string[]; sentinelName: string }
  | { adapter: "upstash"; url: string; token: string }
  | { adapter: "embedded" };

export type Config = Omit<
  Environment,
  | "REDIS_URL"
  | "REDIS_CLUSTER_NODES"
  | "REDIS_SENTINELS"
  | "REDIS_SENTINEL_NAME"
  | "UPSTASH_REDIS_REST_URL"
  | "UPSTASH_REDIS_REST_TOKEN"
  | "REDIS_WAIT_REPLICAS"
> & { redis: RedisSelection; REDIS_WAIT_REPLICAS: number };

/** A configuration that cannot start; the message names every offending variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function selectRedis(env: Environment): RedisSelection {
  const { REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS, REDIS_SENTINEL_NAME, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN } = env;
  const chosen = [
    REDIS_URL && "REDIS_URL",
    REDIS_CLUSTER_NODES && "REDIS_CLUSTER_NODES",
    REDIS_SENTINELS && "REDIS_SENTINELS",
    UPSTASH_REDIS_REST_URL && "UPSTASH_REDIS_REST_URL",
  ].filter(Boolean);
  if (chosen.length > 1) throw new ConfigError(`${chosen.join(" and ")} are set together: choose one Redis adapter`);
  if (REDIS_URL) return { adapter: "ioredis", url: REDIS_URL };
  if (REDIS_CLUSTER_NODES) return { adapter: "ioredis", clusterNodes: REDIS_CLUSTER_NODES };
  if (REDIS_SENTINELS) {
    if (!REDIS_SENTINEL_NAME)
      throw new ConfigError("REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the primary under");
    return { adapter: "ioredis", sentinels: REDIS_SENTINELS, sentinelName: REDIS_SENTINEL_NAME };
  }
  if (UPSTASH_REDIS_REST_URL) {
    if (!UPSTASH_REDIS_REST_TOKEN) {
      throw new ConfigError("UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set");
    }
    return { adapter: "upstash", url: UPSTASH_REDIS_REST_URL, token: UPSTASH_REDIS_REST_TOKEN };
  }
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "NODE_ENV=production needs a real Redis: set REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS or UPSTASH_REDIS_REST_URL/UPSTASH_REDIS_REST_TOKEN (the embedded store is for local use only)",
    );
  }
  return { adapter: "embedded" };
}

/**
 * Parses raw environment values (strings; other values such as Worker bindings are ignored).
 * @throws ConfigError naming each bad variable.
 * @example const config = parseConfig(process.env);
 */
export function parseConfig(raw: Record<string, unknown>): Config {
  const strings = Object.fromEntries(Object.entries(raw).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  const parsed = environmentSchema.safeParse(strings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
  }
  const {
    REDIS_URL: _r,
    REDIS_CLUSTER_NODES: _c,
    REDIS_SENTINELS: _s,
    REDIS_SENTINEL_NAME: _n,
    UPSTASH_REDIS_REST_URL: _u,
    UPSTASH_REDIS_REST_TOKEN: _t,
    REDIS_WAIT_REPLICAS,
    ...rest
  } = parsed.data;
  const redis = selectRedis(parsed.data);
  // Sentinel cannot fail over without a replica, so one is there to wait for; a Cluster adapter
  // waits only where the slot map lists a replica (src/redis/adapters/ioredis-cluster.ts).
  // Only cache writes wait: with REDIS_CACHE_URL they go to that Redis, not the Sentinel or Cluster one.
  const waitReplicas = REDIS_WAIT_REPLICAS ?? (!rest.REDIS_CACHE_URL && ("sentinels" in redis || "clusterNodes" in redis) ? 1 : 0);
  if (rest.REDIS_CACHE_URL && redis.adapter !== "ioredis") {
    throw new ConfigError(
      "REDIS_CACHE_URL: only with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (sessions and rate limits need a Redis of their own beside it)",
    );
  }
  if (waitReplicas > 0 && redis.adapter !== "ioredis") {
    throw new ConfigError(
      "REDIS_WAIT_REPLICAS: only with REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (Upstash replicates by itself; the embedded store has no replicas)",
    );
  }
  if (rest.TRUST_PROXY_CIDRS && !rest.TRUST_PROXY) {
    throw new ConfigError("TRUST_PROXY_CIDRS: set TRUST_PROXY=true too (the ranges say which socket peers X-Forwarded-For is taken from)");
  }
  if (rest.NODE_ENV === "production" && !rest.ADMIN_TOKEN && !(rest.ADMIN_EMAIL && rest.ADMIN_PASSWORD)) {
    throw new ConfigError(
      "NODE_ENV=production needs an admin decision: set ADMIN_TOKEN, or ADMIN_EMAIL and ADMIN_PASSWORD (no development admin is made in production)",
    );
  }
  return { ...rest, redis, REDIS_WAIT_REPLICAS: waitReplicas };
}
