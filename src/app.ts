/**
 * @module
 * The HTTP application, the same on every runtime: the middleware in the order a request
 * meets it (request context, compression off workerd, the body limit, the dashboard's
 * security headers, CORS, the origin check, read-your-writes, the product read-ahead, the
 * caller and the rate limits), the routers, and the OpenAPI document's metadata. It builds
 * no services: an entry hands them in (src/services.ts) and serves the app's `fetch`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv, Services } from "./http/env";
import { AppError } from "./errors";
import { handleError, notFoundHandler } from "./http/errors";
import { UNSAFE_METHODS } from "./http/methods";
import { requestContext } from "./http/middleware/request-context";
import { corsPolicy } from "./http/middleware/cors-policy";
import { originCheck } from "./http/middleware/origin-check";
import { caller } from "./http/middleware/caller";
import { compression } from "./http/middleware/compression";
import { readYourWrites } from "./http/middleware/read-your-writes";
import { authRoutes } from "./http/routes/auth";
import { cacheAdminRoutes } from "./http/routes/cache-admin";
import { dashboardEncodesItself, dashboardRoutes } from "./http/routes/dashboard";
import { docsRoutes, encodesItself } from "./http/routes/docs";
import { rateLimit } from "./http/middleware/rate-limit";
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
  // Cloudflare compresses at its edge; every self-hosted server is compressed here.
  if (services.runtime !== "workerd")
    app.use(compression({ encodesItself: (path) => encodesItself(path) || dashboardEncodesItself(path) }));
  app.onError(handleError);
  // Only requests that may carry a body: reading a GET's (absent) body costs every request.
  app.on(
    [...UNSAFE_METHODS],
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(413, "PAYLOAD_TOO_LARGE", `The body exceeds ${MAX_BODY_BYTES / 1024} KiB`);
      },
    }),
  );
  // API responses carry the security headers that matter for JSON (src/http/response-headers.ts); pages get hono's full set.
  app.use("/dashboard/*", secureHeaders());
  app.use("/api/*", corsPolicy(services.config.CORS_ORIGINS));
  app.use("/api/*", originCheck());
  // First of the /api middleware, so that every Redis command of the request is sent at the client's position.
  if (services.positions) app.use("/api/*", readYourWrites(services.positions, services.mac));
  // Before caller(): its cache read then shares a round trip with caller()'s session lookup and rate-limit check.
  app.use("/api/products/:id", productReadAhead());
  app.use("/api/*", caller());
  app.use("/metrics", caller());
  // The documentation and the dashboard cost more than a cached read: the caller's `default`
  // budget, the one its API requests spend (/docs/* is /docs too, /dashboard/* is /dashboard
  // and its files). /health stays unlimited, for load balancers.
  for (const path of ["/docs/*", "/openapi.json", "/dashboard/*"]) app.use(path, rateLimit("default"));

  app.route("/", healthRoutes());
  app.route("/", authRoutes());
  app.route("/", productRoutes());
  app.route("/", cacheAdminRoutes());
  app.route("/", dashboardRoutes());

  const openApiConfig = {
    openapi: "3.1.0",
    info: {
      title: "JollyJet Edge API",
      version: services.version,
      description:
        "Product catalogue for the edge, with a Redis layer: cache-aside reads, write-through writes, sessions, sliding-window rate limits and cache consistency runs.",
      contact: { name: "JollyJet Edge engineering" },
      // package.json is private: no open-source licence is granted.
      // OpenAPI 3.1's SPDX identifier (the registry's types know only 3.0's fields).
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" } as { name: string },
    },
    // Relative: the document describes whichever host serves it.
    servers: [{ url: "/", description: "This deployment" }],
    tags: [
      { name: "Health", description: "Liveness, dependency status and the index of links" },
      { name: "Auth", description: "Accounts and sessions (cookie or bearer token)" },
      { name: "Products", description: "The cached product catalogue" },
      { name: "Wishlist", description: "The signed-in user's saved products" },
      { name: "Cache operations", description: "Metrics, consistency runs, cache flush and the dashboard (admin)" },
    ],
  };
  app.openAPIRegistry.registerComponent("securitySchemes", "cookieAuth", { type: "apiKey", in: "cookie", name: "sid" });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  // GET /openapi.json among them: the document is generated at its first request (every route is registered by then) and kept for the app's life.
  app.route(
    "/",
    docsRoutes(services.docsAssets, () => app.getOpenAPI31Document(openApiConfig)),
  );
  app.notFound(notFoundHandler(app.routes));
  return app;
}

export type App = ReturnType<typeof createApp>;
