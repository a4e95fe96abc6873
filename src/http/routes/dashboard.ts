import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { dashboardPage } from "../dashboard-page";
import type { AppEnv } from "../env";

const route = createRoute({
  method: "get",
  path: "/dashboard",
  operationId: "getDashboard",
  tags: ["Cache operations"],
  security: [],
  summary: "Cache dashboard (HTML); it signs in and reads the admin endpoints itself",
  description: "The page is public; what it shows comes from the admin endpoints, after signing in with the admin token or an admin account.",
  responses: { 200: { description: "The dashboard page", content: { "text/html": { schema: z.string() } } } },
});

export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(route, (c) => c.html(dashboardPage, 200));
}
