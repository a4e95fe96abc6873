import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { dashboardPage } from "../dashboard-page";
import type { AppEnv } from "../env";
import { apiEmpty, errorResponse } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/dashboard",
  operationId: "getDashboard",
  tags: ["Cache operations"],
  security: [],
  summary: "Cache dashboard (HTML); it signs in and reads the admin endpoints itself",
  description:
    "The page is public; what it shows comes from the admin endpoints, after signing in with the admin token or an admin account. Rate limited like /api (and /docs, /openapi.json): it spends the caller's `default` budget.",
  responses: {
    200: { ...apiEmpty("The dashboard page"), content: { "text/html": { schema: z.string() } } },
    429: errorResponse("Rate limited (the caller's `default` budget)"),
    503: errorResponse("Rate limiting is unavailable and RATE_LIMIT_FAIL_MODE=closed"),
  },
});

export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(route, (c) => c.html(dashboardPage, 200));
}
