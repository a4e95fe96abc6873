import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { requestId } from "hono/request-id";
import type { AppEnv, Services } from "./env";
import { handleError, handleNotFound } from "./errors";
import { requestContext } from "./middleware/request-context";
import { healthRoutes } from "./routes/health";
import { validationHook } from "./validation";

/**
 * The whole HTTP application, independent of the runtime: entries build `services` once and
 * hand every request to the returned app's `fetch`.
 * @example const app = createApp(services); const res = await app.request("/health");
 */
export function createApp(services: Services) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestId({ limitLength: 128 }));
  app.use(requestContext(services));
  app.onError(handleError);
  app.notFound(handleNotFound);

  app.route("/", healthRoutes());

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "JollyJet Edge API", version: services.version },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));
  return app;
}

export type App = ReturnType<typeof createApp>;
