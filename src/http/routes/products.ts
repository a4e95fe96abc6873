/**
 * @module
 * The catalogue's routes: products (list, read, create, change, replace, delete) and the
 * signed-in user's wishlist, with ETags on reads and If-Match on writes. The use cases are
 * src/catalogue/catalogue.ts; the schemas ./product-schemas.ts.
 */
import { OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { userPrincipal } from "../../auth/principal";
import { ProductNotFoundError } from "../../catalogue/catalogue";
import type { AppEnv } from "../env";
import { jsonBody } from "../middleware/json-body";
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
import { apiRoute } from "./api-route";
import {
  apiEmpty,
  apiJson,
  cacheHeader,
  errorResponse,
  ifMatchHeader,
  ifNoneMatchHeader,
  notModified,
  productWriteUnavailable,
  success,
} from "./schemas";
import { ifMatchVersion, setETag, validateRead } from "../conditional";

const tags = ["Products"];
const json = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const locationHeader = { Location: { description: "/api/products/{id}", schema: { type: "string" as const } } };

const listProducts = apiRoute({
  access: "public",
  method: "get",
  path: "/api/products",
  operationId: "listProducts",
  tags,
  summary: "List products: filters, search, price range, sort, pagination",
  description:
    "Cache-aside: a page is served from Redis when cached (X-Cache HIT or STALE) and filled from the database otherwise (MISS). " +
    "Without `isActive` both active and inactive products are listed. Unknown parameters are 400. " +
    "The ETag names the list generation: send it back as If-None-Match for a 304. " +
    "Every catalogue change reaches every page at once; a wishlist toggle does not move the generation, so a page may show a product's `wishlistCount` (and the `version` and `updatedAt` the toggle moved) as of up to the list cache lifetime ago — read the product by id for the current ones.",
  request: { query: ProductListQuerySchema, headers: ifNoneMatchHeader },
  responses: {
    200: apiJson(success(ProductPageSchema), "A page of products", cacheHeader),
    304: notModified,
    400: errorResponse("Invalid or unknown query parameter"),
  },
});

const getProduct = apiRoute({
  access: "public",
  method: "get",
  path: "/api/products/{id}",
  operationId: "getProduct",
  tags,
  summary: "One product",
  description:
    'Cache-aside with stampede protection: concurrent misses share one database load. The ETag is the product\'s version and the cache schema ("<version>.<schema>"); ' +
    "If-None-Match with it is a 304 answered from the cache.",
  request: { params: ProductIdParams, headers: ifNoneMatchHeader },
  responses: {
    200: apiJson(success(ProductSchema), "The product", cacheHeader),
    304: notModified,
    400: errorResponse("Malformed id"),
    404: errorResponse("No such product"),
  },
});

const createProduct = apiRoute({
  access: "admin",
  method: "post",
  path: "/api/products",
  operationId: "createProduct",
  tags,
  summary: "Create a product (admin)",
  description: "Written to the database, then through to the cache; every cached list is invalidated at once (O(1)).",
  middleware: [jsonBody()],
  request: { body: json(CreateProductSchema) },
  responses: { 201: apiJson(success(ProductSchema), "Created", locationHeader), 503: productWriteUnavailable },
});

const patchProduct = apiRoute({
  access: "admin",
  method: "patch",
  path: "/api/products/{id}",
  operationId: "updateProduct",
  tags,
  summary: "Change some writable fields (admin)",
  description: "Only the fields sent change. With If-Match, the write happens only if the product is still at that version (else 412).",
  middleware: [jsonBody()],
  request: { params: ProductIdParams, headers: ifMatchHeader, body: json(PatchProductSchema) },
  responses: {
    200: apiJson(success(ProductSchema), "Updated"),
    404: errorResponse("No such product"),
    409: errorResponse("The name or description kept changing concurrently; try again"),
    412: errorResponse("If-Match names an older version"),
    503: productWriteUnavailable,
  },
});

const replaceProduct = apiRoute({
  access: "admin",
  method: "put",
  path: "/api/products/{id}",
  operationId: "replaceProduct",
  tags,
  summary: "Replace all writable fields (admin; every field required)",
  description:
    "Every writable field is set from the body. With If-Match, the write happens only if the product is still at that version (else 412).",
  middleware: [jsonBody()],
  request: { params: ProductIdParams, headers: ifMatchHeader, body: json(ReplaceProductSchema) },
  responses: {
    200: apiJson(success(ProductSchema), "Replaced"),
    404: errorResponse("No such product"),
    412: errorResponse("If-Match names an older version"),
    503: productWriteUnavailable,
  },
});

const deleteProduct = apiRoute({
  access: "admin",
  method: "delete",
  path: "/api/products/{id}",
  operationId: "deleteProduct",
  tags,
  summary: "Delete a product and its wishlist entries (admin)",
  description: "The cache keeps a tombstone, so a slow reader cannot put the deleted product back. If-Match guards it like a write.",
  request: { params: ProductIdParams, headers: ifMatchHeader },
  responses: {
    204: apiEmpty("Deleted"),
    400: errorResponse("Malformed id"),
    404: errorResponse("No such product"),
    412: errorResponse("If-Match names an older version"),
    503: productWriteUnavailable,
  },
});

const toggleWishlist = apiRoute({
  access: "user",
  method: "post",
  path: "/api/products/{id}/wishlist",
  operationId: "toggleWishlist",
  tags: ["Wishlist"],
  summary: "Add the product to, or remove it from, the caller's wishlist",
  description: "A toggle: the response says whether the product is now on the wishlist.",
  request: { params: ProductIdParams },
  responses: {
    200: apiJson(success(WishlistToggleSchema), "Toggled"),
    400: errorResponse("Malformed id"),
    404: errorResponse("No such product"),
    503: productWriteUnavailable,
  },
});

const myWishlist = apiRoute({
  access: "user",
  method: "get",
  path: "/api/wishlist",
  operationId: "listWishlist",
  tags: ["Wishlist"],
  summary: "The caller's wishlist, most recently added first",
  description: "The signed-in user's saved products, read from the database.",
  responses: { 200: apiJson(success(WishlistSchema), "The caller's wishlist") },
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
    if (c.req.method === "GET" && id !== undefined && PRODUCT_ID.test(id))
      c.set("productReadAhead", c.get("services").catalogue.readAhead(id));
    await next();
  });
}

/**
 * A write under If-Match: its version goes to the catalogue (412 when the product moved on);
 * "If-Match: *" asks only that the product exist, so a missing one is 412 rather than 404.
 */
async function underIfMatch<T>(c: Context<AppEnv>, id: string, write: (ifVersion: number | undefined) => Promise<T>): Promise<T> {
  const ifMatch = await ifMatchVersion(c, id);
  if (ifMatch !== "*") return write(ifMatch);
  return write(undefined).catch((error: unknown) => {
    if (error instanceof ProductNotFoundError) throw new AppError(412, "PRECONDITION_FAILED", "No such product (If-Match: *)");
    throw error;
  });
}

/** The product and wishlist routes, as a router to mount at `/`. */
export function productRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const scope = (c: Context<AppEnv>) => ({ background: c.get("background"), readAhead: c.get("productReadAhead") });

  app.openapi(listProducts, async (c) => {
    const { data, cache, tag } = await c.get("services").catalogue.list(c.req.valid("query"), scope(c));
    setHeader(c, "X-Cache", cache);
    if (validateRead(c, tag)) return c.body(null, 304);
    return c.json({ status: "success" as const, data }, 200);
  });

  // The hot path, served without zod: the id is checked by its one regex, and the product's
  // JSON text (as cached) is spliced into the envelope, never parsed and re-serialised
  // (BENCHMARKS.md). The spec entry is the same route's.
  app.openAPIRegistry.registerPath(getProduct);
  app.get("/api/products/:id", async (c) => {
    const id = c.req.param("id");
    if (!PRODUCT_ID.test(id))
      throw new AppError(400, "BAD_REQUEST", "Invalid param", [{ field: "param.id", message: "must be a product id" }]);
    const { data, cache, tag } = await c.get("services").catalogue.get(id, scope(c));
    setHeader(c, "X-Cache", cache);
    if (validateRead(c, tag)) return respond(c, null, 304);
    return respond(c, `{"status":"success","data":${data.json}}`, 200);
  });

  app.openapi(createProduct, async (c) => {
    const product = await c.get("services").catalogue.create(c.req.valid("json"), scope(c));
    setHeader(c, "Location", `/api/products/${product.id}`);
    setETag(c, c.get("services").catalogue.tagOf(product));
    return c.json({ status: "success" as const, data: product }, 201);
  });

  // PATCH and PUT differ only in which fields the body must carry (their schemas).
  const update: RouteHandler<typeof patchProduct, AppEnv> & RouteHandler<typeof replaceProduct, AppEnv> = async (c) => {
    const { id } = c.req.valid("param");
    const product = await underIfMatch(c, id, (ifVersion) =>
      c.get("services").catalogue.update(id, c.req.valid("json"), scope(c), ifVersion),
    );
    setETag(c, c.get("services").catalogue.tagOf(product));
    return c.json({ status: "success" as const, data: product }, 200);
  };
  app.openapi(patchProduct, update);
  app.openapi(replaceProduct, update);

  app.openapi(deleteProduct, async (c) => {
    const { id } = c.req.valid("param");
    await underIfMatch(c, id, (ifVersion) => c.get("services").catalogue.remove(id, scope(c), ifVersion));
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
