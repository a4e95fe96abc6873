/**
 * @module
 * The API's documentation: the OpenAPI document and Swagger UI over it, served by the app
 * itself (no CDN), from bodies made once per app.
 */
import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../../errors";
import { memoize } from "../../memo";
import { DOCS_ASSET_FILES, type DocsAssetFile, type DocsAssets } from "../docs-assets";
import type { AppEnv } from "../env";
import { makeStaticBody, serveStaticBody } from "../static-body";

const ASSETS_BASE = "/docs/assets";
const CONTENT_TYPES: Record<DocsAssetFile, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};
/** The asset URLs carry swagger-ui-dist's version: their bytes never change. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** The document changes with a deployment: caches may keep it but revalidate (its ETag makes that a 304). */
const REVALIDATE = "public, no-cache";

function isAssetFile(name: string): name is DocsAssetFile {
  return (DOCS_ASSET_FILES as readonly string[]).includes(name);
}

/**
 * The paths whose routes choose their own Content-Encoding from bodies compressed once
 * (docsRoutes): compression() must not compress them again per request.
 */
export const encodesItself = (path: string): boolean => path === "/openapi.json" || path.startsWith(`${ASSETS_BASE}/`);

/**
 * GET /openapi.json, GET /docs (Swagger UI over /openapi.json) and the UI's own files under
 * /docs/assets/swagger-ui-dist@<version>/, laid out as a CDN would so @hono/swagger-ui can
 * point at the app instead of one. The version is in the path, so the files are immutable.
 *
 * The document (`openApiDocument`, asked once) and the files are made once per app, the
 * first time they are wanted (a failure is tried again): their bytes, those bytes in every
 * coding the runtime's compressor makes (brotli and gzip on the self-hosted servers), and an ETag for each
 * (src/http/static-body.ts). A request picks one by Accept-Encoding and gets it as it is, or
 * 304. /docs starts making the files, so they are ready when the page asks for them.
 */
export function docsRoutes(assets: DocsAssets, openApiDocument: () => unknown) {
  const assetPrefix = `${ASSETS_BASE}/swagger-ui-dist@${assets.version}/`;
  const assetBody = memoize(DOCS_ASSET_FILES.length, async (file) =>
    makeStaticBody(await assets.read(file as DocsAssetFile), {
      contentType: CONTENT_TYPES[file as DocsAssetFile],
      cacheControl: IMMUTABLE,
      compress: assets.compress,
    }),
  );
  const documentBody = memoize(1, async () =>
    makeStaticBody(new TextEncoder().encode(JSON.stringify(openApiDocument())), {
      contentType: "application/json",
      cacheControl: REVALIDATE,
      compress: assets.compress,
    }),
  );
  return new Hono<AppEnv>()
    .use("/docs", secureHeaders())
    .get(
      "/docs",
      async (c, next) => {
        for (const file of DOCS_ASSET_FILES) c.get("background")("docs assets", assetBody(file));
        await next();
      },
      swaggerUI({ url: "/openapi.json", baseUrl: ASSETS_BASE, version: assets.version, title: "JollyJet Edge API" }),
    )
    .get("/openapi.json", async (c) => serveStaticBody(c, await documentBody("")))
    .get(`${ASSETS_BASE}/*`, async (c) => {
      const file = c.req.path.startsWith(assetPrefix) ? c.req.path.slice(assetPrefix.length) : "";
      if (!isAssetFile(file)) throw new AppError(404, "NOT_FOUND", `No documentation asset at ${c.req.path}`);
      return serveStaticBody(c, await assetBody(file));
    });
}
