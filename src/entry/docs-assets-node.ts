/**
 * @module
 * The static files on the self-hosted servers (Node, Bun, Deno): Swagger UI's from the
 * installed swagger-ui-dist and the dashboard's from disk, read when the app first wants them
 * and compressed with node:zlib.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Compressor, DocsAssets } from "../http/docs-assets";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * The self-hosted servers' compressor for the documentation's static bodies: node:zlib's
 * asynchronous calls (on Node in libuv's thread pool, so the event loop carries on meanwhile). Each body is compressed once per app, so at a high setting:
 * gzip level 9, brotli quality 9 (Swagger UI's 1.7 MB bundle: 0.1 s and 0.3 s, 460 and 392 kB;
 * brotli's 10 and 11 save 7 to 9 % more for 2 to 5 s).
 */
const nodeCompressor: Compressor = async (body, coding) =>
  coding === "gzip"
    ? gzipAsync(body, { level: 9 })
    : brotliAsync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 9,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });

/**
 * The dashboard's files: src/http/dashboard/ next to src/entry/ when run from source, and
 * dist/http/dashboard/ next to the bundle (dist/entry/node.js), where `npm run build` copies them.
 */
const DASHBOARD_FOLDER = new URL("../http/dashboard/", import.meta.url);

/**
 * Swagger UI's files from the installed swagger-ui-dist and the dashboard's from
 * DASHBOARD_FOLDER (read when the app first wants them), compressed with node:zlib (Node, Bun, Deno).
 */
export function nodeDocsAssets(): DocsAssets {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("swagger-ui-dist/package.json");
  const { version } = require(packageJson) as { version: string };
  const directory = dirname(packageJson);
  return {
    version,
    read: (file) => readFile(join(directory, file)),
    readDashboard: (file) => readFile(new URL(file, DASHBOARD_FOLDER)),
    compress: nodeCompressor,
  };
}
