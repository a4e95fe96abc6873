/**
 * @module
 * How an /api or /metrics operation is declared: createRoute plus who may call it, and what
 * follows from that for the OpenAPI document and the response (the role guard, the security
 * requirement, the front door's error responses, `Cache-Control: no-store`).
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { isSafeMethod } from "../methods";
import { requireRole } from "../middleware/require-role";
import { NO_STORE, setHeader } from "../response-headers";
import { consistencyHeader, errorResponse, noStoreHeader, sessionSecurity } from "./schemas";

/** Who may call an operation: anyone, a signed-in user, or an admin (session or ADMIN_TOKEN). */
export type Access = "public" | "user" | "admin";

type ResponseConfig = RouteConfig["responses"][string];

/**
 * The error responses an operation can give before its handler runs, from the middleware in
 * front of it (src/app.ts): the rate limit and session lookup (429, 503) on /api and
 * /metrics, the body limit and cross-site check on unsafe methods (413, 403), validation of
 * what the request carries (400, 415, 422), the role guard (401, 403) and, on a user's
 * endpoint, the operator token that has no account (403). Derived from the
 * route so the document cannot forget one; a route's own entries say more and win.
 */
function frontDoorResponses(route: Pick<RouteConfig, "method" | "path" | "request">, access: Access): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  if (route.request?.params || route.request?.query) responses[400] = errorResponse("Invalid path or query parameter");
  if (route.request?.body) {
    responses[400] = errorResponse("Malformed JSON, or an invalid path or query parameter");
    responses[415] = errorResponse("Body is not application/json");
    responses[422] = errorResponse("Body fails validation");
  }
  if (access !== "public") responses[401] = errorResponse("Not signed in");
  if (!isSafeMethod(route.method)) {
    responses[403] = errorResponse("A cookie-authenticated request from another site");
    responses[413] = errorResponse("Body over 64 KiB");
  }
  // A user's endpoint acts for an account; the ADMIN_TOKEN has none (src/auth/principal.ts).
  if (access === "user") {
    responses[403] = errorResponse(
      !isSafeMethod(route.method)
        ? "A cookie-authenticated request from another site, or the ADMIN_TOKEN (an operator has no account to act as)"
        : "The ADMIN_TOKEN: an operator has no account to act as",
    );
  }
  if (access === "admin") responses[403] = errorResponse("Not an admin, or a cookie-authenticated request from another site");
  responses[429] = errorResponse("Rate limited");
  responses[503] = errorResponse("Redis (rate limit, sessions) or the database is unavailable");
  return responses;
}

/** A write's successes may carry the client's new position (src/http/middleware/read-your-writes.ts). */
function withConsistencyHeader(method: string, responses: RouteConfig["responses"]): RouteConfig["responses"] {
  if (isSafeMethod(method)) return responses;
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) =>
      status.startsWith("2") && !("$ref" in response)
        ? [status, { ...response, headers: { ...(response.headers as object | undefined), ...consistencyHeader } }]
        : [status, response],
    ),
  );
}

const ROLE_GUARDS = { public: [], user: [requireRole("user")], admin: [requireRole("admin")] } satisfies Record<Access, unknown[]>;

/** Set before the role guard, so the route's refusals (401, 403, 422...) are not stored either. */
const noStore = createMiddleware<AppEnv>(async (c, next) => {
  setHeader(c, "Cache-Control", NO_STORE);
  await next();
});

/** The route's responses with `Cache-Control: no-store` documented (every error envelope carries it too: src/http/errors.ts). */
function withNoStoreHeader(responses: RouteConfig["responses"]): RouteConfig["responses"] {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) =>
      !("$ref" in response)
        ? [status, { ...response, headers: { ...(response.headers as object | undefined), ...noStoreHeader } }]
        : [status, response],
    ),
  );
}

/**
 * createRoute for /api and /metrics operations: `access` sets the role guard and the security
 * requirement (unless the route states its own), and the front door's error responses are added to the route's own.
 * Every response of an operation that answers for a particular caller (`access` user or admin,
 * or `noStore: true`, e.g. sign-in and sign-out, which set the session cookie) carries
 * `Cache-Control: no-store`: no cache, shared or private, keeps one caller's answer.
 * @example apiRoute({ access: "admin", method: "delete", path: "/api/cache", operationId: "flushCache", ... })
 */
export function apiRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P; access: Access; noStore?: boolean }>(
  config: R,
) {
  const { access, noStore: ownNoStore, ...route } = config;
  const storeless = ownNoStore ?? access !== "public";
  const ownMiddleware = route.middleware === undefined ? [] : Array.isArray(route.middleware) ? route.middleware : [route.middleware];
  const middleware = [...(storeless ? [noStore] : []), ...ROLE_GUARDS[access], ...ownMiddleware];
  const responses = { ...frontDoorResponses(route, access), ...withConsistencyHeader(route.method, route.responses) };
  return createRoute({
    ...route,
    security: route.security ?? (access === "public" ? [] : sessionSecurity),
    // Left out when empty: a route registered with registerPath would show the key in the document.
    ...(middleware.length > 0 && { middleware }),
    // Typed as the route's own responses: handlers return only those; the rest are thrown as AppError.
    responses: (storeless ? withNoStoreHeader(responses) : responses) as R["responses"],
  });
}
