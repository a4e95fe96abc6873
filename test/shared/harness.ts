import type { ProductRepository } from "../../src/catalogue/repository";
import type { Runtime, Services } from "../../src/http/env";
import type { RedisTransport } from "../../src/redis/port";

/** What a scenario needs from a runtime: an app to send requests to, built with extra environment. */
export type Send = (path: string, init?: RequestInit) => Promise<Response>;

/** An app instance whose services the test can reach (its Redis, its keys), with its own in-process state. */
export interface Instance {
  send: Send;
  services: Services;
}

export interface Harness {
  runtime: Runtime;
  /** Scheme and host relative paths are sent to (what a same-origin browser sends as Origin). */
  origin: string;
  /**
   * An app instance configured with `overrides` on top of the test defaults. Instances of one
   * harness share the database and Redis namespace, like instances of one deployment.
   */
  app(overrides?: Record<string, string>): Promise<Send>;
  /** Like `app`, built from services the test may wrap (e.g. a product repository that counts loads). */
  instance(
    overrides?: Record<string, string>,
    options?: {
      wrapProducts?: (repository: ProductRepository) => ProductRepository;
      wrapRedis?: (transport: RedisTransport) => RedisTransport;
    },
  ): Promise<Instance>;
  /** Environment that makes the app believe request headers about the client's address (TRUST_PROXY on Node). */
  clientAddressing: Record<string, string>;
  /** Headers that make a request come from `address`. */
  from(address: string): Record<string, string>;
  /** Environment values that make Redis unreachable for this runtime's adapter. */
  redisDown: Record<string, string>;
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** The `data` of an API response's JSON envelope. */
export const data = async <T>(response: Response) => ((await response.json()) as { data: T }).data;

export const uniqueEmail = (label = "user") => `${label}-${crypto.randomUUID()}@Example.com`;

/** An X-Forwarded-For entry a client made up (not an address: what a spoofer may write). */
export const spoofed = () => `198.18.${Math.floor(Math.random() * 256)}.${crypto.randomUUID().slice(0, 4)}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A rate-limit window length (seconds, ≥ 3600) whose current window ends more than ten
 * minutes from now. @upstash/ratelimit's sliding window is two fixed windows aligned to the
 * epoch (floor(now / window)), and a burst that straddles a boundary is admitted more than
 * the limit; with this length no boundary falls within a test, so counts are exact.
 */
export function stableWindowSeconds(now = Date.now()): number {
  const seconds = Math.floor(now / 1000);
  let window = 3600;
  while (window - (seconds % window) <= 600) window += 1;
  return window;
}
