import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { applyRateLimit, rateLimitUnavailable } from "../ratelimit/headers";

/**
 * Enforces the `default` policy on every /api/* request, from the check redisPrefetch()
 * started: headers on every response, 429 when over the limit, fail mode when Redis is down.
 * @example app.use("/api/*", redisPrefetch(), rateLimit());
 */
export function rateLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("rateLimits", []);
    const decision = await c.get("prefetch").rateLimit.catch((error: unknown) => error as Error);
    if (decision instanceof Error) rateLimitUnavailable(c, c.get("services").rateLimiter.policies.default, decision);
    else applyRateLimit(c, decision);
    await next();
  });
}
