/**
 * @module
 * CORS middleware for /api: none by default (same-origin only), exact grants to the origins
 * in CORS_ORIGINS, and `Vary: Origin` on every answer to a cross-origin request.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/**
 * CORS_ORIGINS as the browser spells an `Origin` header (scheme://host[:port], lowercase, no
 * default port, no path), so that the comparisons below are exact string matches.
 * @example trustedOrigins(["https://Shop.example.com:443/"]) // Set { "https://shop.example.com" }
 */
export function trustedOrigins(configured: readonly string[]): ReadonlySet<string> {
  return new Set(configured.map((origin) => new URL(origin).origin));
}

const allowMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const allowHeaders = ["Authorization", "Content-Type", "X-Request-Id", "X-Consistency-Token"];

/**
 * CORS for /api/*: by default none (same-origin only: browsers on other origins cannot read
 * responses). CORS_ORIGINS lists the origins that may, with credentials (cookies), reads and
 * writes alike (src/http/middleware/origin-check.ts lets the same origins through); exact
 * matches only. Refused origins get no grant at all: no Access-Control-Allow-Origin and no
 * Access-Control-Allow-Credentials (hono's cors() sends the latter to every origin when
 * `credentials` is on, so there are two: one that grants, one that does not).
 * @example app.use("/api/*", corsPolicy(["https://shop.example.com"]));
 */
export function corsPolicy(allowedOrigins: readonly string[]) {
  const allowed = trustedOrigins(allowedOrigins);
  const granted = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods,
    allowHeaders,
    exposeHeaders: [
      "X-Request-Id",
      "X-Cache",
      "RateLimit",
      "RateLimit-Policy",
      "X-RateLimit-Limit",
      "X-RateLimit-Remaining",
      "X-RateLimit-Reset",
      "Retry-After",
      "Location",
      "X-Consistency-Token",
    ],
    maxAge: 600,
  });
  // Still answers a preflight (204, `Vary: Origin`), but with nothing a browser would accept.
  const refused = cors({ origin: () => null, allowMethods, allowHeaders });
  // Only cross-origin requests carry Origin; for the rest the CORS middleware would still
  // touch the response before the handler, which costs every request (BENCHMARKS.md).
  return createMiddleware<AppEnv>(async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined) return next();
    const preflight = await (allowed.has(origin) ? granted : refused)(c, next);
    varyOnOrigin(c);
    return preflight;
  });
}

/**
 * `Vary: Origin` on every answer to a request with an Origin, so that no cache hands one
 * origin's answer (with or without its grant) to another. hono's cors() appends it to the
 * response, but a response not built by `respond` takes the gathered headers afterwards
 * (requestContext()), whose Vary (Accept-Encoding, on the self-hosted servers) would replace it: so it goes
 * into the gathered headers too, unless they were applied already.
 */
function varyOnOrigin(c: Context<AppEnv>): void {
  if (c.get("headersApplied")) return;
  const headers = c.get("responseHeaders");
  const vary = headers.Vary;
  if (vary === undefined) headers.Vary = "Origin";
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.Vary = `${vary}, Origin`;
}
