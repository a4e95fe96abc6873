/**
 * @module
 * A response's headers, gathered in one plain object while the request runs and handed to
 * the Response in one go. Hono's `c.header()` keeps a WHATWG Headers object, whose every
 * set is validated (on Node, undici's): that was the largest cost of a cached read after
 * the network itself (BENCHMARKS.md). A plain object goes straight to Node's writeHead.
 *
 * Everything in src/http sets headers here. A route on the hot path builds its response
 * with `respond` (which takes them all); for any other response, requestContext() copies
 * them onto it at the end.
 */
import type { Context } from "hono";
import type { AppEnv, ResponseHeaders } from "./env";

/**
 * What every API response carries: hono's secureHeaders() set that matters for JSON (pages
 * get the full set), and the request id. Written out as a literal, not spread from a
 * constant: V8 builds a literal of known shape in a fraction of a spread's time.
 */
const baseHeaders = (requestId: string): ResponseHeaders => ({
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "SAMEORIGIN",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Request-Id": requestId,
});

/** A sane incoming request id is echoed (word characters, - and =, at most 128), else a new one. */
const SANE_REQUEST_ID = /^[\w\-=]{1,128}$/;

/** The request's id and its header set, to start with (requestContext()). */
export function startHeaders(incomingRequestId: string | undefined): { requestId: string; headers: ResponseHeaders } {
  const requestId = incomingRequestId !== undefined && SANE_REQUEST_ID.test(incomingRequestId) ? incomingRequestId : crypto.randomUUID();
  return { requestId, headers: baseHeaders(requestId) };
}

export function setHeader(c: Context<AppEnv>, name: string, value: string): void {
  c.get("responseHeaders")[name] = value;
}

/**
 * What a response that sets a cookie, or that answers for a particular caller, says to
 * caches: keep no copy (API.md). Routes that act for a caller set it up front
 * (src/http/routes/api-route.ts).
 */
export const NO_STORE = "no-store";
const FORBIDS_STORING = /\bno-store\b/i;

/**
 * The last word on a response that sets a cookie: whatever Cache-Control it was given, a
 * cookie never rides on a response a shared cache may store and hand to someone else, so it
 * becomes `no-store` (no route is meant to reach this: the session cookie is only set on
 * sign-in and sign-out, which are `no-store` already).
 */
function guardCookie(headers: ResponseHeaders): void {
  if (headers["Set-Cookie"] !== undefined && !FORBIDS_STORING.test(headers["Cache-Control"] ?? "")) headers["Cache-Control"] = NO_STORE;
}

/** A JSON response from its text (null: 304, no body), with every header gathered so far. */
export function respond(c: Context<AppEnv>, json: string | null, status: 200 | 201 | 304): Response {
  c.set("headersApplied", true);
  const headers = c.get("responseHeaders");
  if (json !== null) headers["Content-Type"] = "application/json";
  guardCookie(headers);
  return new Response(json, { status, headers });
}

/** Copies the gathered headers onto a response that was not built by `respond` (every other route, errors, pages). */
export function applyHeaders(c: Context<AppEnv>): void {
  if (c.get("headersApplied")) return;
  const headers = c.get("responseHeaders");
  guardCookie(headers);
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
}

/**
 * Adds a cookie to a response whose headers were gathered already (read-your-writes sets
 * its own after the route answered), with the same last word on caching as guardCookie.
 */
export function appendCookie(c: Context<AppEnv>, cookie: string): void {
  applyHeaders(c);
  c.set("headersApplied", true);
  c.res.headers.append("Set-Cookie", cookie);
  if (!FORBIDS_STORING.test(c.res.headers.get("Cache-Control") ?? "")) c.res.headers.set("Cache-Control", NO_STORE);
}
