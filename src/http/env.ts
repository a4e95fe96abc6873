/**
 * @module
 * The types every router and middleware shares: the services a request may use (built once
 * per process/isolate by an entry), and the Hono environment with the request's variables.
 */
import type { Context } from "hono";
import type { Principal } from "../auth/principal";
import type { Mac } from "../auth/mac";
import type { SessionStore } from "../auth/sessions";
import type { CacheService } from "../cache/cache-service";
import type { ConsistencyReport } from "../catalogue/consistency";
import type { Metrics } from "../cache/metrics";
import type { MetricsHistory } from "../cache/metrics-history";
import type { Catalogue, ProductReadAhead } from "../catalogue/catalogue";
import type { Config } from "../config";
import type { DocsAssets } from "./docs-assets";
import type { AppDatabase } from "../db/database";
import type { UserRepository } from "../auth/users";
import type { Background } from "../background";
import type { Logger } from "../logger";
import type { RateLimitDecision, RateLimiter } from "../ratelimit/rate-limiter";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import type { PositionContext } from "../client-position";

/** Where the app runs: Cloudflare Workers (workerd), or a self-hosted server on Node, Bun or Deno. */
export const RUNTIMES = ["node", "workerd", "bun", "deno"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Everything a request handler may use, built once per process/isolate by an entry. */
export interface Services {
  readonly config: Config;
  readonly runtime: Runtime;
  readonly version: string;
  readonly db: AppDatabase;
  /** Sessions, rate limits, metrics, reports: state that must not be evicted. */
  readonly redis: RedisPort;
  /** Cache entries, markers and generations: `redis` itself, or REDIS_CACHE_URL's. */
  readonly cacheRedis: RedisPort;
  readonly keys: RedisKeys;
  readonly logger: Logger;
  readonly users: UserRepository;
  readonly sessions: SessionStore;
  /** The app's MAC, for what clients hand back (session and consistency tokens). */
  readonly mac: Mac;
  /** Read-your-writes positions, when Redis or the database may answer from replicas (Upstash, D1 sessions). */
  readonly positions: PositionContext | undefined;
  readonly catalogue: Catalogue;
  readonly metrics: Metrics;
  /** Samples of the metrics over the last hour, for the dashboard's charts (kept in Redis). */
  readonly metricsHistory: MetricsHistory;
  readonly cache: CacheService;
  readonly rateLimiter: RateLimiter;
  /** One exclusive consistency run (cache vs database), its report stored; 409 AppError while another runs. */
  readonly runConsistency: (trigger: ConsistencyReport["trigger"]) => Promise<ConsistencyReport>;
  /** The client's network address as this runtime knows it (CF-Connecting-IP, the socket, a trusted proxy's X-Forwarded-For). */
  readonly clientAddress: (c: Context<AppEnv>) => string | undefined;
  /** The static files (Swagger UI's for /docs, the dashboard's), as this runtime reads them. */
  readonly docsAssets: DocsAssets;
  /** Short, stable hash of an identity (address, email) for use in Redis keys. */
  readonly hashIdentity: (value: string) => Promise<string>;
}

/** A response's headers as one plain object (src/http/response-headers.ts). */
export type ResponseHeaders = Record<string, string>;

/** The one Hono environment type for every app, router and middleware. */
export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    /** This response's headers, gathered as one plain object (src/http/response-headers.ts). */
    responseHeaders: ResponseHeaders;
    /** Whether the response was built with them already (respond()). */
    headersApplied: boolean;
    logger: Logger;
    background: Background;
    /** Set by caller(): who is calling, or null. */
    principal: Principal | null;
    /** True when a token was presented but Redis could not be asked about it. */
    sessionsUnavailable: boolean;
    /** GET /api/products/:id: the cached product, read ahead before caller() (see productReadAhead). */
    productReadAhead?: ProductReadAhead;
    /** The rate-limit decisions taken for this request, for the response headers. */
    rateLimits: RateLimitDecision[];
  };
}
