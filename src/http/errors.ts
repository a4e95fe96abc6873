import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type FieldError } from "../errors";
import type { AppEnv } from "./env";

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

/** The error envelope of API.md. */
export function errorResponse(c: Context<AppEnv>, status: ContentfulStatusCode, code: string, message: string, errors?: FieldError[]) {
  return c.json({ status: "error" as const, code, message, requestId: c.get("requestId"), ...(errors ? { errors } : {}) }, status);
}

/** AppError → its envelope; other HTTPExceptions (hono's own, e.g. malformed JSON) → envelope by status; anything else → logged 500 without details. */
export function handleError(error: Error, c: Context<AppEnv>) {
  if (error instanceof AppError) {
    if (error.status >= 500) c.get("logger").warn(error.message, { code: error.code, cause: error.cause });
    return errorResponse(c, error.status, error.code, error.message, error.errors);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    return errorResponse(c, status, codeForStatus[status] ?? "BAD_REQUEST", error.message || "Bad request");
  }
  c.get("logger").error("unhandled error", { error, method: c.req.method, path: c.req.path });
  return errorResponse(c, 500, "INTERNAL_ERROR", "Internal server error");
}

export function handleNotFound(c: Context<AppEnv>) {
  return errorResponse(c, 404, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
}
