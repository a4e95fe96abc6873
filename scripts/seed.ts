/**
 * Seeds the demo catalogue (src/catalogue/demo-catalogue.ts) into an EMPTY database; a
 * database that already has products is left alone.
 *
 *   npm run db:seed                     the Node database (DATABASE_URL, default file:./.data/jollyjet.db),
 *                                       migrated first exactly as `npm start` does
 *   npx tsx scripts/seed.ts --d1        the local D1 database of `wrangler dev` (run by `npm run dev`,
 *                                       after `wrangler d1 migrations apply DB --local`)
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { demoCatalogue } from "../src/catalogue/demo-catalogue";
import { toCents } from "../src/catalogue/types";
import { ConfigError, parseConfig } from "../src/config";
import { createNodeServices } from "../src/entry/node-server";

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

async function seedNode(): Promise<void> {
  const config = parseConfig(process.env);
  // Through the app's own Redis: the write-throughs and list generation bumps must reach it,
  // or a running app keeps serving the lists it cached before the seed.
  const { close, seedDemoCatalogue } = await createNodeServices(config);
  try {
    const created = await seedDemoCatalogue();
    const where = config.DATABASE_URL.split("?")[0];
    console.log(
      created > 0
        ? `seeded ${created} demo products into ${where}`
        : `${where} already has products (or another process is seeding it); nothing seeded`,
    );
  } finally {
    await close();
  }
}

/** `npx wrangler d1 execute DB --local …` from the project root; arguments are passed as-is (no shell). */
async function wranglerD1(args: string[]): Promise<string> {
  try {
    const { stdout } = await run("npx", ["wrangler", "d1", "execute", "DB", "--local", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    // With --json, wrangler reports failures on stdout as {"error":{"text":"…"}} and exits 1.
    const output = (error as { stdout?: string; stderr?: string }).stdout?.trim() || (error as { stderr?: string }).stderr?.trim();
    let text = output;
    try {
      text = (JSON.parse(output ?? "") as { error?: { text?: string } }).error?.text ?? output;
    } catch {
      // not JSON: keep the raw output
    }
    throw new Error(`wrangler d1 execute failed: ${text || (error as Error).message}`);
  }
}

/** Rows in the local D1 products table (`--json` prints `[{ results: [{ n }], success, meta }]`). */
async function countD1Products(): Promise<number> {
  const stdout = await wranglerD1(["--json", "--command", "SELECT count(*) AS n FROM products"]);
  const parsed = JSON.parse(stdout) as { results?: { n?: unknown }[] }[];
  const n = parsed[0]?.results?.[0]?.n;
  if (typeof n !== "number") throw new Error(`unexpected wrangler output: ${stdout.trim().slice(0, 200)}`);
  return n;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** One INSERT per product, columns as in migrations/0001_catalogue.sql, derived columns as src/db/products.ts computes them. */
function demoCatalogueInserts(now = Date.now()): string[] {
  return demoCatalogue().map((product, i) => {
    // Distinct timestamps, newest first, so sorting by createdAt is meaningful.
    const at = now - i * 60_000;
    const values = [
      literal(crypto.randomUUID()),
      literal(product.name),
      literal(product.description),
      toCents(product.price),
      product.stock,
      literal(product.category),
      literal(product.category.toLowerCase()),
      literal(`${product.name}\n${product.description}`.toLowerCase()),
      literal(JSON.stringify(product.images)),
      product.isActive ? 1 : 0,
      0,
      1,
      at,
      at,
    ];
    return `INSERT INTO products (id, name, description, price_cents, stock, category, category_key, search_text, images, is_active, wishlist_count, version, created_at, updated_at) VALUES (${values.join(", ")});`;
  });
}

async function seedD1(): Promise<void> {
  let existing: number;
  try {
    existing = await countD1Products();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n(apply the migrations first: npm run db:migrate:local)`);
  }
  if (existing > 0) {
    console.log(`local D1 database already has ${existing} products; nothing seeded`);
    return;
  }
  const directory = await mkdtemp(join(tmpdir(), "jollyjet-seed-"));
  try {
    const file = join(directory, "demo-catalogue.sql");
    const inserts = demoCatalogueInserts();
    await writeFile(file, `${inserts.join("\n")}\n`, "utf8");
    await wranglerD1(["--file", file]);
    console.log(`seeded ${inserts.length} demo products into the local D1 database`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

try {
  await (process.argv.includes("--d1") ? seedD1() : seedNode());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`jollyjet: ${error.message}`);
  process.exit(1);
}
