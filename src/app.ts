import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv, Services } from "./http/env";
import { AppError } from "./errors";
import { handleError, notFoundHandler } from "./http/errors";
import { requestContext } from "./http/middleware/request-context";
import { corsPolicy } from "./http/middleware/cors-policy";
import { originCheck } from "./http/middleware/origin-check";
import { caller } from "./http/middleware/caller";
import { compression } from "./http/middleware/compression";
import { authRoutes } from "./http/routes/auth";
import { cacheAdminRoutes } from "./http/routes/cache-admin";
import { dashboardRoutes } from "./http/routes/dashboard";
import { docsRoutes } from "./http/routes/docs";
import { healthRoutes } from "./http/routes/health";
import { productReadAhead, productRoutes } from "./http/routes/products";
import { validationHook } from "./http/validation";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The whole HTTP application, independent of the runtime: entries build `services` once and
 * hand every request to the returned app's `fetch`.
 * @example const app = createApp(services); const res = await app.request("/health");
 */
export function createApp(services: Services) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestContext(services));
  if (services.runtime === "node") app.use(compression());
  app.onError(handleError);
  // Only requests that may carry a body: reading a GET's (absent) body costs every request.
  app.on(
    ["POST", "PUT", "PATCH", "DELETE"],
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(413, "PAYLOAD_TOO_LARGE", `The body exceeds ${MAX_BODY_BYTES / 1024} KiB`);
      },
    }),
  );
  // API responses carry the security headers that matter for JSON (src/http/response-headers.ts); pages get hono's full set.
  app.use("/dashboard", secureHeaders());
  app.use("/api/*", corsPolicy(services.config.CORS_ORIGINS));
  app.use("/api/*", originCheck());
  // Before caller(): its cache read then shares a round trip with caller()'s session lookup and rate-limit check.
  app.use("/api/products/:id", productReadAhead());
  app.use("/api/*", caller());
  app.use("/metrics", caller());

  app.route("/", healthRoutes());
  app.route("/", authRoutes());
  app.route("/", productRoutes());
  app.route("/", cacheAdminRoutes());
  app.route("/", dashboardRoutes());

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "JollyJet Edge API", version: services.version },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "cookieAuth", { type: "apiKey", in: "cookie", name: "sid" });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  app.route("/", docsRoutes(services.docsAssets));
  app.notFound(notFoundHandler(app.routes));
  return app;
}

export type App = ReturnType<typeof createApp>;
