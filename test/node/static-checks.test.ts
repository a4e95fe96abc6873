import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

describe("static guarantees", () => {
  it("no source file can send the Redis KEYS command", () => {
    const offenders = sourceFiles("src").filter((file) => /\.keys\(|["'`]keys["'`]/i.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("worker-configuration.d.ts is what `npm run types` (wrangler types) makes of wrangler.toml now", async () => {
    const committed = await readFile("worker-configuration.d.ts", "utf8");
    await run("npm", ["run", "types"], { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, timeout: 60_000 });
    const generated = await readFile("worker-configuration.d.ts", "utf8");
    // Left as it was: a failure says "run npm run types", it does not rewrite the file under you.
    if (generated !== committed) await writeFile("worker-configuration.d.ts", committed);
    expect(generated).toBe(committed);
    expect(generated).toMatch(/interface Env \{\n\s+DB: D1Database;/);
  }, 60_000);

  it("the Worker bundle carries no Node-only module (built as wrangler deploys it)", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "jollyjet-bundle-"));
    try {
      await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--metafile", join(outdir, "meta.json")], {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
        timeout: 120_000,
      });
      const meta = JSON.parse(await readFile(join(outdir, "meta.json"), "utf8")) as {
        inputs: Record<string, unknown>;
        outputs: Record<string, { imports: { path: string }[] }>;
      };
      const inputs = Object.getOwnPropertyNames(meta.inputs);
      expect(inputs.some((input) => input.includes("node_modules/@upstash/redis/"))).toBe(true);
      const nodeOnly = inputs.filter((input) =>
        /node_modules\/(ioredis|ioredis-mock|@ioredis|libsql|@libsql\/(linux|darwin|win32)|tsx)\/|@libsql\/client\/lib-esm\/(node|sqlite3)\.js|src\/entry\/(node|bun|deno|self-hosted)/.test(
          input,
        ),
      );
      expect(nodeOnly).toEqual([]);
      // Nothing else for the runtime to resolve: Swagger UI's two files and the dashboard's three,
      // attached as text (wrangler.toml [[rules]]), and node:async_hooks, which workerd provides under
      // the nodejs_als compatibility flag (src/client-position.ts); no other `node:` or bare import.
      // wrangler names each attached module "<sha1 of its bytes>-<file name>".
      const unhashed = (name: string) => name.replace(/^(\.\/)?[0-9a-f]{40}-/, "$1");
      const imports = Object.values(meta.outputs).flatMap((output) => output.imports.map((i) => i.path));
      expect(imports.map(unhashed).sort()).toEqual([
        "./dashboard.css",
        "./dashboard.js",
        "./index.html",
        "./swagger-ui-bundle.js",
        "./swagger-ui.css",
        "node:async_hooks",
      ]);
      expect(
        readdirSync(outdir)
          .filter((file) => file.endsWith(".css"))
          .map(unhashed)
          .sort(),
      ).toEqual(["dashboard.css", "swagger-ui.css"]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
