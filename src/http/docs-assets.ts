/** The Swagger UI files /docs needs, served by the app itself so the docs work offline. */
export const DOCS_ASSET_FILES = ["swagger-ui.css", "swagger-ui-bundle.js"] as const;
export type DocsAssetFile = (typeof DOCS_ASSET_FILES)[number];

/**
 * Swagger UI's files from the pinned `swagger-ui-dist` package. Each runtime reads them its
 * own way (Node from node_modules, the Worker from modules bundled as text), so entries
 * provide this.
 */
export interface DocsAssets {
  /** swagger-ui-dist's version: part of every asset URL, so the files can be cached forever. */
  readonly version: string;
  read(file: DocsAssetFile): Promise<string>;
}
