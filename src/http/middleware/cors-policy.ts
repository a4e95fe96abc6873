import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/**
 * CORS for /api/*: by default none (same-origin only: browsers on other origins cannot read
 * responses). CORS_ORIGINS lists the origins that may, with credentials; exact matches only.
 * @example app.use("/api/*", corsPolicy(["https://shop.example.com"]));
 */
export function corsPolicy(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id", "X-Consistency-Token"],
    exposeHeaders: ["X-Request-Id", "X-Cache", "RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "Location", "X-Consistency-Token"],
    maxAge: 600,
  });
  // Only cross-origin requests carry Origin; for the rest the CORS middleware would still
  // touch the response before the handler, which costs every request (BENCHMARKS.md).
  return createMiddleware<AppEnv>(async (c, next) => (c.req.header("origin") === undefined ? next() : handler(c, next)));
}
