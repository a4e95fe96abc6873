import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../../errors";
import { DOCS_ASSET_FILES, type DocsAssetFile, type DocsAssets } from "../docs-assets";
import type { AppEnv } from "../env";

const ASSETS_BASE = "/docs/assets";
const CONTENT_TYPES: Record<DocsAssetFile, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

function isAssetFile(name: string): name is DocsAssetFile {
  return (DOCS_ASSET_FILES as readonly string[]).includes(name);
}

/**
 * GET /docs (Swagger UI over /openapi.json) and the UI's own files under
 * /docs/assets/swagger-ui-dist@<version>/, laid out as a CDN would so @hono/swagger-ui can
 * point at the app instead of one. The version is in the path, so the files are immutable.
 */
export function docsRoutes(assets: DocsAssets) {
  const assetPrefix = `${ASSETS_BASE}/swagger-ui-dist@${assets.version}/`;
  return new Hono<AppEnv>()
    .use("/docs", secureHeaders())
    .get("/docs", swaggerUI({ url: "/openapi.json", baseUrl: ASSETS_BASE, version: assets.version, title: "JollyJet Edge API" }))
    .get(`${ASSETS_BASE}/*`, async (c) => {
      const file = c.req.path.startsWith(assetPrefix) ? c.req.path.slice(assetPrefix.length) : "";
      if (!isAssetFile(file)) throw new AppError(404, "NOT_FOUND", `No documentation asset at ${c.req.path}`);
      return c.body(await assets.read(file), 200, {
        "Content-Type": CONTENT_TYPES[file],
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
      });
    });
}
