/** The Swagger UI files /docs needs, served by the app itself so the docs work offline. */
export const DOCS_ASSET_FILES = ["swagger-ui.css", "swagger-ui-bundle.js"] as const;
export type DocsAssetFile = (typeof DOCS_ASSET_FILES)[number];

/** The content codings a static body is stored in besides its identity bytes, most preferred first. */
export const CONTENT_CODINGS = ["br", "gzip"] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/** Encodes a body in one content coding (a runtime's compressor; each body is encoded once per app). */
export type Compressor = (body: Uint8Array, coding: ContentCoding) => Promise<Uint8Array>;

/**
 * Swagger UI's files from the pinned `swagger-ui-dist` package. Each runtime reads them its
 * own way (Node from node_modules, the Worker from modules bundled as text), so entries
 * provide this.
 */
export interface DocsAssets {
  /** swagger-ui-dist's version: part of every asset URL, so the files can be cached forever. */
  readonly version: string;
  /** The file's bytes (UTF-8). */
  read(file: DocsAssetFile): Promise<Uint8Array>;
  /**
   * How this runtime compresses the documentation's static bodies (these files and the
   * OpenAPI document), once each. Absent where the platform compresses responses itself
   * (Workers: Cloudflare's edge); the identity bytes are served there.
   */
  readonly compress?: Compressor;
}
