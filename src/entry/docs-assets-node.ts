import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DocsAssetFile, DocsAssets } from "../http/docs-assets";

/** Swagger UI's files read from the installed swagger-ui-dist, each once, when /docs first asks. */
export function nodeDocsAssets(): DocsAssets {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("swagger-ui-dist/package.json");
  const { version } = require(packageJson) as { version: string };
  const directory = dirname(packageJson);
  const files = new Map<DocsAssetFile, Promise<string>>();
  return {
    version,
    read(file) {
      let text = files.get(file);
      if (!text) {
        text = readFile(join(directory, file), "utf8");
        // A failed read is not remembered: the next request tries again.
        text.catch(() => files.delete(file));
        files.set(file, text);
      }
      return text;
    },
  };
}
