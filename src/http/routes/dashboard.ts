import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { dashboardPage } from "../dashboard-page";
import type { AppEnv } from "../env";

const route = createRoute({
  method: "get",
  path: "/dashboard",
  tags: ["Cache operations"],
  summary: "Cache dashboard (HTML); it signs in and reads the admin endpoints itself",
  responses: { 200: { description: "The dashboard page", content: { "text/html": { schema: z.string() } } } },
});

export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(route, (c) => c.html(dashboardPage, 200));
}
