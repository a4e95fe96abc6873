/**
 * @module
 * A rate-limit decision as the response tells it: the headers of every policy checked, and a
 * 429 for a blocked request or, when Redis cannot answer, the policy's fail mode.
 */
import type { Context } from "hono";
import type { AppEnv } from "./env";
import { AppError } from "../errors";
import { setHeader } from "./response-headers";
import { redisFailureLevel } from "../redis/port";
import type { RateLimitDecision, RateLimitPolicy } from "../ratelimit/rate-limiter";

const secondsUntil = (epochMs: number) => Math.max(0, Math.ceil((epochMs - Date.now()) / 1000));

/**
 * Sets the rate-limit headers for every policy the request was checked against
 * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy`, `RateLimit`) and the classic
 * `X-RateLimit-*` trio for the tightest of them; a blocked request becomes 429 with
 * `Retry-After`. Decisions accumulate in `c.get("rateLimits")` (default, then auth).
 */
export function applyRateLimit(c: Context<AppEnv>, decision: RateLimitDecision): void {
  const decisions = [...c.get("rateLimits"), decision];
  c.set("rateLimits", decisions);
  setHeader(
    c,
    "RateLimit-Policy",
    decisions.map(({ policy }) => `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`).join(", "),
  );
  setHeader(c, "RateLimit", decisions.map((d) => `"${d.policy.name}";r=${d.remaining};t=${secondsUntil(d.reset)}`).join(", "));
  const tightest = decisions.reduce((a, b) => (b.remaining < a.remaining || !b.success ? b : a));
  setHeader(c, "X-RateLimit-Limit", String(tightest.policy.limit));
  setHeader(c, "X-RateLimit-Remaining", String(tightest.remaining));
  setHeader(c, "X-RateLimit-Reset", String(Math.ceil(tightest.reset / 1000)));

  const { metrics } = c.get("services");
  metrics.count(decision.success ? "rateLimitAllowed" : "rateLimitBlocked");
  if (!decision.success) {
    setHeader(c, "Retry-After", String(Math.max(1, secondsUntil(decision.reset))));
    throw new AppError(429, "RATE_LIMITED", `Too many requests (${decision.policy.name} policy); retry later`);
  }
}

/**
 * Redis could not answer the check: a policy that fails open admits and says so in
 * `X-RateLimit-Bypass`; one that fails closed answers 503 (`default`: RATE_LIMIT_FAIL_MODE,
 * `auth`: RATE_LIMIT_AUTH_FAIL_MODE, closed unless set, so an outage is no time for
 * unlimited password guessing). The policy header stays, the counts cannot.
 */
export function rateLimitUnavailable(c: Context<AppEnv>, policy: RateLimitPolicy, error: unknown): void {
  setHeader(c, "RateLimit-Policy", `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`);
  setHeader(c, "X-RateLimit-Limit", String(policy.limit));
  if (policy.failMode === "closed") {
    throw new AppError(503, "RATE_LIMIT_UNAVAILABLE", "Rate limiting is unavailable; try again shortly", undefined, error);
  }
  c.get("logger")[redisFailureLevel(error)]("rate limit check failed; admitting (fail-open)", { policy: policy.name, error });
  setHeader(c, "X-RateLimit-Bypass", "redis-unavailable");
}
