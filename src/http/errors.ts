/**
 * @module
 * Where errors become responses: an AppError becomes the envelope of API.md with its status
 * and code, hono's HTTPExceptions are mapped by status, anything else is a logged 500 without
 * details; and a path no route answers is a 404, or a 405 with `Allow`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type FieldError } from "../errors";
import type { AppEnv } from "./env";
import { NO_STORE, setHeader } from "./response-headers";
import { redisFailureLevel } from "../redis/port";

const codeForStatus: Partial<Record<number, string>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "VALIDATION_FAILED",
  429: "RATE_LIMITED",
  503: "SERVICE_UNAVAILABLE",
};

/**
 * The error envelope of API.md. Never stored by any cache: an error answers this request
 * (its credentials, its body, the limit it hit), not a state of the resource.
 */
function errorResponse(c: Context<AppEnv>, status: ContentfulStatusCode, code: string, message: string, errors?: FieldError[]) {
  setHeader(c, "Cache-Control", NO_STORE);
  return c.json({ status: "error" as const, code, message, requestId: c.get("requestId"), ...(errors ? { errors } : {}) }, status);
}

/** AppError → its envelope; hono's HTTPExceptions (e.g. malformed JSON) → envelope by status; anything else → logged 500 without details. */
export function handleError(error: Error, c: Context<AppEnv>) {
  if (error instanceof AppError) {
    if (error.status >= 500) c.get("logger")[redisFailureLevel(error.cause)](error.message, { code: error.code, cause: error.cause });
    if (error.options.retryAfterS !== undefined) setHeader(c, "Retry-After", String(error.options.retryAfterS));
    return errorResponse(c, error.status, error.code, error.message, error.errors);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    return errorResponse(c, status, codeForStatus[status] ?? "BAD_REQUEST", error.message || "Bad request");
  }
  c.get("logger").error("unhandled error", { error, method: c.req.method, path: c.req.path });
  return errorResponse(c, 500, "INTERNAL_ERROR", "Internal server error");
}

const segmentPattern = (segment: string) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

/**
 * No route answered: 405 with `Allow` when the path is served for other methods, else 404.
 * `routes` is the app's route list (hono's `app.routes`), read once at the first miss.
 */
export function notFoundHandler(routes: readonly { method: string; path: string }[]) {
  let known: { method: string; pattern: RegExp }[] | undefined;
  return (c: Context<AppEnv>) => {
    known ??= routes
      // Routes only: middleware is registered for ALL methods or on wildcard paths.
      .filter((route) => route.method !== "ALL" && !route.path.includes("*"))
      .map((route) => ({ method: route.method, pattern: new RegExp(`^${route.path.split("/").map(segmentPattern).join("/")}$`) }));
    const methods = new Set(known.filter((route) => route.pattern.test(c.req.path)).map((route) => route.method));
    if (methods.size === 0) return errorResponse(c, 404, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
    if (methods.has("GET")) methods.add("HEAD");
    const allow = [...methods].sort().join(", ");
    setHeader(c, "Allow", allow);
    return errorResponse(c, 405, "METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here; allowed: ${allow}`);
  };
}
