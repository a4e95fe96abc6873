import { Ratelimit } from "@upstash/ratelimit";
import type { Background } from "../env";
import type { RedisKeys } from "../redis/keys";
import { createRatelimitClient, type OpRunner, type ScriptRegistry } from "./ratelimit-client";

export type PolicyName = "default" | "auth";

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
  readonly policies: Record<PolicyName, RateLimitPolicy>;
  /** Checks (and, when admitted, counts) one request of `identity` under `policy`. */
  check(target: OpRunner, policy: PolicyName, identity: string, background: Background): Promise<RateLimitDecision>;
}

/**
 * Sliding-window limits from @upstash/ratelimit, one key prefix per policy. A limiter object
 * is made per check around the caller's op runner (the port, or the request's batch, so the
 * check shares a round trip with the request's other reads); it is a few fields, no I/O.
 * Blocked requests are not counted (the library's script only records admitted ones).
 * @example const decision = await limiter.check(batch, "default", "user:42", background);
 */
export function createRateLimiter(options: { policies: Record<PolicyName, RateLimitPolicy>; keys: RedisKeys }): RateLimiter {
  const registry: ScriptRegistry = new Map();
  return {
    policies: options.policies,
    async check(target, name, identity, background) {
      const policy = options.policies[name];
      const limiter = new Ratelimit({
        redis: createRatelimitClient(target, registry) as unknown as ConstructorParameters<typeof Ratelimit>[0]["redis"],
        limiter: Ratelimit.slidingWindow(policy.limit, `${policy.windowSeconds} s`),
        prefix: options.keys.rateLimit(name),
        ephemeralCache: false,
        analytics: false,
        timeout: 0,
      });
      const result = await limiter.limit(identity);
      background("rate limit bookkeeping", result.pending);
      return { policy, success: result.success, remaining: result.remaining, reset: result.reset };
    },
  };
}
