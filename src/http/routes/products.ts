import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { userPrincipal } from "../../auth/principal";
import type { AppEnv } from "../env";
import { jsonBody } from "../middleware/json-body";
import { requireRole } from "../middleware/require-role";
import { AppError } from "../../errors";
import { respond, setHeader } from "../response-headers";
import {
  CreateProductSchema,
  PatchProductSchema,
  PRODUCT_ID,
  ProductIdParams,
  ProductListQuerySchema,
  ProductPageSchema,
  ProductSchema,
  ReplaceProductSchema,
  WishlistSchema,
  WishlistToggleSchema,
} from "./product-schemas";
import { adminSecurity, adminWriteErrors, apiEmpty, apiJson, cacheHeader, errorResponse, sessionSecurity, success } from "./schemas";

const tags = ["Products"];
const admin = [requireRole("admin")];
const json = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const locationHeader = { Location: { description: "/api/products/{id}", schema: { type: "string" as const } } };

const listProducts = createRoute({
  method: "get",
  path: "/api/products",
  tags,
  summary: "List products: filters, search, price range, sort, pagination",
  description: "Without `isActive` both active and inactive products are listed. Unknown parameters are 400.",
  request: { query: ProductListQuerySchema },
  responses: {
    200: apiJson(success(ProductPageSchema), "A page of products", cacheHeader),
    400: errorResponse("Invalid or unknown query parameter"),
    429: errorResponse("Rate limited"),
  },
});

const getProduct = createRoute({
  method: "get",
  path: "/api/products/{id}",
  tags,
  summary: "One product",
  request: { params: ProductIdParams },
  responses: {
    200: apiJson(success(ProductSchema), "The product", cacheHeader),
    400: errorResponse("Malformed id"),
    404: errorResponse("No such product"),
    429: errorResponse("Rate limited"),
  },
});

const createProduct = createRoute({
  method: "post",
  path: "/api/products",
  tags,
  summary: "Create a product (admin)",
  security: adminSecurity,
  middleware: [...admin, jsonBody()],
  request: { body: json(CreateProductSchema) },
  responses: { 201: apiJson(success(ProductSchema), "Created", locationHeader), ...adminWriteErrors },
});

const patchProduct = createRoute({
  method: "patch",
  path: "/api/products/{id}",
  tags,
  summary: "Change some writable fields (admin)",
  security: adminSecurity,
  middleware: [...admin, jsonBody()],
  request: { params: ProductIdParams, body: json(PatchProductSchema) },
  responses: {
    200: apiJson(success(ProductSchema), "Updated"),
    404: errorResponse("No such product"),
    409: errorResponse("The name or description kept changing concurrently; try again"),
    ...adminWriteErrors,
  },
});

const replaceProduct = createRoute({
  method: "put",
  path: "/api/products/{id}",
  tags,
  summary: "Replace all writable fields (admin; every field required)",
  security: adminSecurity,
  middleware: [...admin, jsonBody()],
  request: { params: ProductIdParams, body: json(ReplaceProductSchema) },
  responses: { 200: apiJson(success(ProductSchema), "Replaced"), 404: errorResponse("No such product"), ...adminWriteErrors },
});

const deleteProduct = createRoute({
  method: "delete",
  path: "/api/products/{id}",
  tags,
  summary: "Delete a product and its wishlist entries (admin)",
  security: adminSecurity,
  middleware: admin,
  request: { params: ProductIdParams },
  responses: {
    204: apiEmpty("Deleted"),
    400: errorResponse("Malformed id"),
    401: errorResponse("Not signed in"),
    403: errorResponse("Not an admin"),
    404: errorResponse("No such product"),
    429: errorResponse("Rate limited"),
  },
});

const toggleWishlist = createRoute({
  method: "post",
  path: "/api/products/{id}/wishlist",
  tags: ["Wishlist"],
  summary: "Add the product to, or remove it from, the caller's wishlist",
  security: sessionSecurity,
  middleware: [requireRole("user")],
  request: { params: ProductIdParams },
  responses: {
    200: apiJson(success(WishlistToggleSchema), "Toggled"),
    400: errorResponse("Malformed id"),
    401: errorResponse("Not signed in"),
    404: errorResponse("No such product"),
    429: errorResponse("Rate limited"),
    503: errorResponse("Sessions unavailable"),
  },
});

const myWishlist = createRoute({
  method: "get",
  path: "/api/wishlist",
  tags: ["Wishlist"],
  summary: "The caller's wishlist, most recently added first",
  security: sessionSecurity,
  middleware: [requireRole("user")],
  responses: {
    200: apiJson(success(WishlistSchema), "The caller's wishlist"),
    401: errorResponse("Not signed in"),
    429: errorResponse("Rate limited"),
    503: errorResponse("Sessions unavailable"),
  },
});


/**
 * GET /api/products/:id starts reading its cache entry before the caller's checks run, so
 * the read leaves in the same Redis round trip as the session lookup and rate-limit check
 * (src/redis/port.ts coalesces them). Register before caller().
 * @example app.use("/api/products/:id", productReadAhead()); app.use("/api/*", caller());
 */
export function productReadAhead() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const id = c.req.param("id");
    if (c.req.method === "GET" && id !== undefined && PRODUCT_ID.test(id)) c.set("productReadAhead", c.get("services").catalogue.readAhead(id));
    await next();
  });
}

export function productRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const scope = (c: Context<AppEnv>) => ({ background: c.get("background"), readAhead: c.get("productReadAhead") });

  app.openapi(listProducts, async (c) => {
    const { data, cache } = await c.get("services").catalogue.list(c.req.valid("query"), scope(c));
    setHeader(c, "X-Cache", cache);
    return c.json({ status: "success" as const, data }, 200);
  });

  // The hot path, served without zod: the id is checked by its one regex, and the product's
  // JSON text (as cached) is spliced into the envelope, never parsed and re-serialised
  // (BENCHMARKS.md). The spec entry is the same route's.
  app.openAPIRegistry.registerPath(getProduct);
  app.get("/api/products/:id", async (c) => {
    const id = c.req.param("id");
    if (!PRODUCT_ID.test(id)) throw new AppError(400, "BAD_REQUEST", "Invalid param", [{ field: "param.id", message: "must be a product id" }]);
    const { data, cache } = await c.get("services").catalogue.get(id, scope(c));
    setHeader(c, "X-Cache", cache);
    return respond(c, `{"status":"success","data":${data.json}}`, 200);
  });

  app.openapi(createProduct, async (c) => {
    const product = await c.get("services").catalogue.create(c.req.valid("json"), scope(c));
    setHeader(c, "Location", `/api/products/${product.id}`);
    return c.json({ status: "success" as const, data: product }, 201);
  });

  app.openapi(patchProduct, async (c) => {
    const product = await c.get("services").catalogue.update(c.req.valid("param").id, c.req.valid("json"), scope(c));
    return c.json({ status: "success" as const, data: product }, 200);
  });

  app.openapi(replaceProduct, async (c) => {
    const product = await c.get("services").catalogue.update(c.req.valid("param").id, c.req.valid("json"), scope(c));
    return c.json({ status: "success" as const, data: product }, 200);
  });

  app.openapi(deleteProduct, async (c) => {
    await c.get("services").catalogue.remove(c.req.valid("param").id, scope(c));
    return c.body(null, 204);
  });

  app.openapi(toggleWishlist, async (c) => {
    const { user } = userPrincipal(c.get("principal"));
    const result = await c.get("services").catalogue.toggleWishlist(user.id, c.req.valid("param").id, scope(c));
    return c.json({ status: "success" as const, data: result }, 200);
  });

  app.openapi(myWishlist, async (c) => {
    const { user } = userPrincipal(c.get("principal"));
    return c.json({ status: "success" as const, data: await c.get("services").catalogue.wishlist(user.id) }, 200);
  });

  return app;
}
