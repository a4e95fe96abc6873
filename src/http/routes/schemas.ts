/**
 * @module
 * Shared OpenAPI/zod pieces: the error envelope and the headers every route documents.
 */
import { z } from "@hono/zod-openapi";

/** The error envelope of API.md. */
const ErrorSchema = z
  .object({
    status: z.literal("error"),
    code: z.string().openapi({ example: "NOT_FOUND" }),
    message: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

type HeaderObject = { description: string; schema: { type: "string" | "integer"; enum?: string[] } };
const header = (description: string, type: "string" | "integer" = "string"): HeaderObject => ({ description, schema: { type } });

const requestIdHeader = { "X-Request-Id": header("Echo of a sane incoming X-Request-Id, else a generated one") };

/** Headers on every /api/* response (draft-ietf-httpapi-ratelimit-headers plus the X-RateLimit-* trio). */
const apiHeaders = {
  ...requestIdHeader,
  "RateLimit-Policy": header('e.g. "default";q=100;w=60'),
  RateLimit: header('e.g. "default";r=42;t=17'),
  "X-RateLimit-Limit": header("Requests allowed per window", "integer"),
  "X-RateLimit-Remaining": header("Requests left in the current window", "integer"),
  "X-RateLimit-Reset": header("When the window resets (epoch seconds)", "integer"),
};

export const cacheHeader = {
  "X-Cache": { description: "HIT, MISS, STALE or BYPASS", schema: { type: "string" as const, enum: ["HIT", "MISS", "STALE", "BYPASS"] } },
  ETag: header('"<version>.<schema>" (a list: "g<generation>.<schema>"); send it back as If-None-Match, or as If-Match on a write'),
  "Cache-Control": header(
    "public, no-cache: any cache may keep it, but must revalidate (If-None-Match) before use. The same for every caller, signed in or not: it never carries Set-Cookie (a session's sliding refresh happens server-side) and does not vary on Cookie or Authorization",
  ),
};

/** On every response of an operation that answers for a particular caller or sets a cookie (src/http/routes/api-route.ts). */
export const noStoreHeader = {
  "Cache-Control": header(
    "no-store: this answer is for this caller alone (it depends on the session, or sets or clears a cookie); no cache keeps it",
  ),
};

/** On a write's success with the Upstash adapter (src/http/middleware/read-your-writes.ts); also set as the `consistency` cookie. */
export const consistencyHeader = {
  "X-Consistency-Token": header(
    "The client's position after this write (Upstash adapter): send it back as X-Consistency-Token, or keep the consistency cookie, to read your own writes from read replicas",
  ),
};

/** 304 for a read whose If-None-Match names the current state: no body. */
export const notModified = { description: "Not modified: the If-None-Match tag is current", headers: { ...apiHeaders, ...cacheHeader } };

/** Request headers of conditional reads and writes. */
export const ifNoneMatchHeader = z.object({
  "if-none-match": z.string().optional().openapi({ description: "An ETag of an earlier read: 304 when still current" }),
});
export const ifMatchHeader = z.object({
  "if-match": z.string().optional().openapi({ description: "An ETag of this product: 412 when its version has moved on since" }),
});

/** A JSON response of an /api route, with the rate-limit headers (and any `extraHeaders`). */
export const apiJson = <T extends z.ZodType>(schema: T, description: string, extraHeaders: Record<string, HeaderObject> = {}) => ({
  description,
  headers: { ...apiHeaders, ...extraHeaders },
  content: { "application/json": { schema } },
});

/** A body-less /api response (204). */
export const apiEmpty = (description: string, extraHeaders: Record<string, HeaderObject> = {}) => ({
  description,
  headers: { ...apiHeaders, ...extraHeaders },
});

export const errorResponse = (description: string) => apiJson(ErrorSchema, description);

/**
 * 503 on a product write: the front door's causes, plus CACHE_CONSISTENCY=strict's refusals
 * (src/catalogue/catalogue.ts), which say when to try again.
 */
export const productWriteUnavailable = apiJson(
  ErrorSchema,
  "The database is unavailable (DATABASE_UNAVAILABLE); or, in strict cache consistency, Redis could not be told of the change: CACHE_UNAVAILABLE (nothing was changed) or WRITE_NOT_CONFIRMED (the change is in the database but other readers may not see it yet; read before retrying)",
  { "Retry-After": header("Seconds to wait before trying again (on CACHE_UNAVAILABLE and WRITE_NOT_CONFIRMED)", "integer") },
);

/** `{status: "success", data}` around a payload schema. */
export const success = <T extends z.ZodType>(data: T) => z.object({ status: z.literal("success"), data });

/** Routes that need a session accept the `sid` cookie or the same token as a bearer token (admin routes also ADMIN_TOKEN). */
export const sessionSecurity: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }];
