/**
 * @module
 * The rate limiter: sliding-window limits per policy (`default`, `auth`, `auth-email`), from
 * the @upstash/ratelimit library over the Redis port. Who is limited under which policy, and
 * what the response says, is decided in src/http.
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Background } from "../background";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { createRatelimitClient } from "./ratelimit-client";

/** Every policy, in the order the metrics and the dashboard list them. */
export const POLICY_NAMES = ["default", "auth", "auth-email"] as const;

export type PolicyName = (typeof POLICY_NAMES)[number];

export interface RateLimitPolicy {
  name: PolicyName;
  limit: number;
  windowSeconds: number;
  /** When Redis cannot answer: `open` admits, `closed` refuses (503). */
  failMode: "open" | "closed";
}

export interface RateLimitDecision {
  policy: RateLimitPolicy;
  success: boolean;
  remaining: number;
  /** When the current window ends (epoch ms). */
  reset: number;
}

export interface RateLimiter {
  /** The policies it enforces, as configured (read-only: what the headers, the metrics and the dashboard report). */
  readonly policies: Readonly<Record<PolicyName, RateLimitPolicy>>;
  /** Checks (and, when admitted, counts) one request of `identity` under `policy`. */
  check(policy: PolicyName, identity: string, background: Background): Promise<RateLimitDecision>;
}

/**
 * One limiter per policy (built once), each under its own key prefix, talking to Redis
 * through the port (so a check shares a round trip with whatever else the request issues in
 * the same tick). Blocked requests are not counted (the library's script only records
 * admitted ones).
 * @example const decision = await limiter.check("default", "user:42", background);
 */
export function createRateLimiter(options: {
  redis: RedisPort;
  policies: Record<PolicyName, RateLimitPolicy>;
  keys: RedisKeys;
}): RateLimiter {
  const client = createRatelimitClient(options.redis) as unknown as ConstructorParameters<typeof Ratelimit>[0]["redis"];
  const limiterFor = (policy: RateLimitPolicy) =>
    new Ratelimit({
      redis: client,
      limiter: Ratelimit.slidingWindow(policy.limit, `${policy.windowSeconds} s`),
      prefix: options.keys.rateLimit(policy.name),
      ephemeralCache: false,
      analytics: false,
      timeout: 0,
    });
  const limiters = Object.fromEntries(Object.values(options.policies).map((policy) => [policy.name, limiterFor(policy)])) as Record<
    PolicyName,
    Ratelimit
  >;
  return {
    policies: options.policies,
    async check(name, identity, background) {
      const policy = options.policies[name];
      // Tagged: the window's bucket and the previous one's (the library's script reads both) share a Redis Cluster slot.
      const result = await limiters[name].limit(`{${identity}}`);
      background("rate limit bookkeeping", result.pending);
      return { policy, success: result.success, remaining: result.remaining, reset: result.reset };
    },
  };
}
