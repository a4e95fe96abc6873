/**
 * @module
 * The static files the app serves (Swagger UI's for /docs, the dashboard's), as a port: each
 * runtime's entry says how they are read and compressed (src/entry/docs-assets-node.ts,
 * docs-assets-worker.ts). Serving them is ./static-body.ts's and the routes'.
 */

/** The Swagger UI files /docs needs, served by the app itself so the docs work offline. */
export const DOCS_ASSET_FILES = ["swagger-ui.css", "swagger-ui-bundle.js"] as const;
export type DocsAssetFile = (typeof DOCS_ASSET_FILES)[number];

/** The dashboard's files (src/http/dashboard/): the page /dashboard serves, and the stylesheet and script it links. */
export type DashboardFile = "index.html" | "dashboard.css" | "dashboard.js";

/** The content codings a static body is stored in besides its identity bytes, most preferred first. */
export const CONTENT_CODINGS = ["br", "gzip"] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/** Encodes a body in one content coding (a runtime's compressor; each body is encoded once per app). */
export type Compressor = (body: Uint8Array, coding: ContentCoding) => Promise<Uint8Array>;

/**
 * The static files the app serves: Swagger UI's from the pinned `swagger-ui-dist` package,
 * and the dashboard's. Each runtime reads them its own way (the self-hosted servers from
 * disk, the Worker from modules bundled as text), so entries provide this.
 */
export interface DocsAssets {
  /** swagger-ui-dist's version: part of every Swagger UI asset URL, so the files can be cached forever. */
  readonly version: string;
  /** The Swagger UI file's bytes (UTF-8). */
  read(file: DocsAssetFile): Promise<Uint8Array>;
  /** The dashboard file's bytes (UTF-8). */
  readDashboard(file: DashboardFile): Promise<Uint8Array>;
  /**
   * How this runtime compresses the static bodies (these files and the OpenAPI document),
   * once each. Absent where the platform compresses responses itself (Workers: Cloudflare's
   * edge); the identity bytes are served there.
   */
  readonly compress?: Compressor;
}
