// Bundled as text by the "Text" rule in wrangler.toml (Workers have no file system).
import bundle from "swagger-ui-dist/swagger-ui-bundle.js";
import css from "swagger-ui-dist/swagger-ui.css";
import swaggerUiPackage from "swagger-ui-dist/package.json";
import type { DocsAssetFile, DocsAssets } from "../http/docs-assets";

const FILES: Record<DocsAssetFile, string> = { "swagger-ui.css": css, "swagger-ui-bundle.js": bundle };

/**
 * Swagger UI's files as the Worker bundle carries them. No compressor: Cloudflare's edge
 * compresses responses for clients that ask (outside the Worker's CPU time), so the app
 * serves the identity bytes, made once per isolate, with their ETag.
 */
export const workerDocsAssets: DocsAssets = {
  version: swaggerUiPackage.version,
  read: async (file) => new TextEncoder().encode(FILES[file]),
};
