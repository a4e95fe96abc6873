/**
 * @module
 * Rate-limit middleware for paths outside /api (the docs, the OpenAPI document, the
 * dashboard), without the session lookup caller() makes.
 */
import { createMiddleware } from "hono/factory";
import type { PolicyName } from "../../ratelimit/rate-limiter";
import { readCredentials } from "../credentials";
import type { AppEnv } from "../env";
import { applyRateLimit, rateLimitUnavailable } from "../rate-limit-headers";
import { clientIdentity } from "./caller";

/**
 * A rate limit alone, for paths outside /api that cost more than a cached read (the docs,
 * the OpenAPI document, the dashboard page): the caller's identity as caller() keys it (the
 * user a token names, checked without Redis, else the hashed address), so these requests
 * spend the same budget as the caller's API requests, but no session lookup, no sliding
 * refresh and no cookie (the assets are publicly cacheable). Sets the rate-limit headers;
 * 429 past the limit, fail mode when Redis cannot answer.
 * @example app.use("/openapi.json", rateLimit("default"));
 */
export function rateLimit(policy: PolicyName) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimiter } = c.get("services");
    c.set("rateLimits", []);
    const identity = await clientIdentity(c, readCredentials(c));
    const decision = await rateLimiter.check(policy, identity, c.get("background")).catch((error: unknown) => error as Error);
    if (decision instanceof Error) rateLimitUnavailable(c, rateLimiter.policies[policy], decision);
    else applyRateLimit(c, decision);
    await next();
  });
}
