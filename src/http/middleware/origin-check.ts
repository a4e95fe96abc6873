/**
 * @module
 * CSRF middleware for /api: a write that the session cookie would authenticate must come from
 * the API's own origin or one of CORS_ORIGINS.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readCredentials } from "../credentials";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";
import { isSafeMethod } from "../methods";
import { trustedOrigins } from "./cors-policy";

/** CORS_ORIGINS in the browser's spelling, once per configuration. */
const trustedByConfig = new WeakMap<readonly string[], ReadonlySet<string>>();
function trusted(configured: readonly string[]): ReadonlySet<string> {
  let origins = trustedByConfig.get(configured);
  if (origins === undefined) {
    origins = trustedOrigins(configured);
    trustedByConfig.set(configured, origins);
  }
  return origins;
}

/**
 * The request's own origin as the browser saw it: the scheme (X-Forwarded-Proto's first entry
 * behind a trusted proxy, as for the cookie's Secure flag in src/http/cookie.ts), the host and
 * the port, in the spelling of an `Origin` header (no default port).
 */
function ownOrigin(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  const forwarded = c.get("services").config.TRUST_PROXY
    ? c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase()
    : undefined;
  const scheme = forwarded === "http" || forwarded === "https" ? forwarded : url.protocol.slice(0, -1);
  try {
    return new URL(`${scheme}://${url.host}`).origin;
  } catch {
    return url.origin;
  }
}

/**
 * Whether the browser says the request comes from a page allowed to write with the user's
 * cookie: `Origin` equal, by scheme, host and port, to the request's own origin or to one of
 * CORS_ORIGINS. Without `Origin` (browsers send it on every unsafe request; older ones not
 * always same-origin), `Sec-Fetch-Site` must not say another site; a client that sends
 * neither is not a browser, and CSRF is a browser's attack.
 */
function fromTrustedOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined) {
    const site = c.req.header("sec-fetch-site");
    return site === undefined || site === "same-origin" || site === "none";
  }
  // Exact strings: "null", a path, a default port or capitals are never how a trusted page is named.
  return origin === ownOrigin(c) || trusted(c.get("services").config.CORS_ORIGINS).has(origin);
}

/**
 * CSRF defence for cookie sessions: an unsafe request (not GET/HEAD/OPTIONS) that the `sid`
 * cookie would authenticate is refused (403 CSRF_REJECTED) unless it comes from the API's
 * own origin or one listed in CORS_ORIGINS (see fromTrustedOrigin).
 *
 * Which credential authenticates is decided by readCredentials, the same function caller()
 * resolves the principal with: a bearer token (`Authorization: Bearer …`, a session token or
 * ADMIN_TOKEN) is the credential whenever one is presented, and then the cookie is never
 * consulted: the request is the bearer's or nobody's, and a browser attaches no bearer token
 * on its own, so there is nothing to forge. Any other Authorization header (`Basic`, …)
 * leaves the cookie as the credential, and the check applies.
 *
 * Hand-written rather than hono's csrf(): that one checks only form-like content types (a
 * JSON write passes it unchecked, leaving the defence to the CORS preflight alone), answers
 * in plain text rather than this API's error envelope, and knows nothing of which credential
 * authenticated or of the scheme a trusted proxy was reached by.
 * @example app.use("/api/*", originCheck());
 */
export function originCheck() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!isSafeMethod(c.req.method) && readCredentials(c)?.via === "cookie" && !fromTrustedOrigin(c)) {
      throw new AppError(403, "CSRF_REJECTED", "Cross-origin request refused");
    }
    await next();
  });
}
