import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { memoize } from "../memo";
import { DOCS_ASSET_FILES, type DocsAssets } from "../http/docs-assets";

/** Swagger UI's files read from the installed swagger-ui-dist, each once, when /docs first asks (a failed read is tried again). */
export function nodeDocsAssets(): DocsAssets {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("swagger-ui-dist/package.json");
  const { version } = require(packageJson) as { version: string };
  const directory = dirname(packageJson);
  return { version, read: memoize(DOCS_ASSET_FILES.length, (file) => readFile(join(directory, file), "utf8")) };
}
