import { cors } from "hono/cors";

/**
 * CORS for /api/*: by default none (same-origin only: browsers on other origins cannot read
 * responses). CORS_ORIGINS lists the origins that may, with credentials; exact matches only.
 * @example app.use("/api/*", corsPolicy(["https://shop.example.com"]));
 */
export function corsPolicy(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins);
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "X-Cache", "RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "Location"],
    maxAge: 600,
  });
}
