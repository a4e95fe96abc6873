/**
 * @module
 * The static files on the Worker: Swagger UI's and the dashboard's, bundled as text by the
 * "Text" rule in wrangler.toml (Workers have no file system).
 */
import bundle from "swagger-ui-dist/swagger-ui-bundle.js";
import css from "swagger-ui-dist/swagger-ui.css";
import swaggerUiPackage from "swagger-ui-dist/package.json";
import dashboardCss from "../http/dashboard/dashboard.css";
import dashboardScript from "../http/dashboard/dashboard.js";
import dashboardPage from "../http/dashboard/index.html";
import type { DashboardFile, DocsAssetFile, DocsAssets } from "../http/docs-assets";

const FILES: Record<DocsAssetFile, string> = { "swagger-ui.css": css, "swagger-ui-bundle.js": bundle };
const DASHBOARD_FILES: Record<DashboardFile, string> = {
  "index.html": dashboardPage,
  "dashboard.css": dashboardCss,
  "dashboard.js": dashboardScript,
};

/**
 * Swagger UI's files and the dashboard's as the Worker bundle carries them. No compressor:
 * Cloudflare's edge compresses responses for clients that ask (outside the Worker's CPU
 * time), so the app serves the identity bytes, made once per isolate, with their ETag.
 */
export const workerDocsAssets: DocsAssets = {
  version: swaggerUiPackage.version,
  read: async (file) => new TextEncoder().encode(FILES[file]),
  readDashboard: async (file) => new TextEncoder().encode(DASHBOARD_FILES[file]),
};
