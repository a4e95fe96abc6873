import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, inject, it } from "vitest";
import { demoCatalogue } from "../../src/catalogue/demo-catalogue";
import type { ProductPage } from "../../src/catalogue/types";
import { createTestApp } from "../support/node-app";

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

describe("npm run db:seed next to a running app", () => {
  it("the app's cached list pages show the seeded products, not the empty catalogue", async () => {
    const environment = {
      DATABASE_URL: `file:${join(tmpdir(), `jollyjet-seed-${crypto.randomUUID().slice(0, 8)}.db`)}`,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `seed-${crypto.randomUUID().slice(0, 8)}`,
      LOG_LEVEL: "error",
    };
    const { app, close } = await createTestApp(environment);
    closers.push(close);
    const list = async () => {
      const response = await app.request("/api/products");
      return { cache: response.headers.get("x-cache"), total: ((await response.json()) as { data: ProductPage }).data.total };
    };
    expect(await list()).toEqual({ cache: "MISS", total: 0 });
    expect(await list()).toEqual({ cache: "HIT", total: 0 });

    // The script itself, as `npm run db:seed` runs it, with the app's database and Redis.
    await run("npx", ["tsx", "scripts/seed.ts"], { cwd: PROJECT_ROOT, env: { ...process.env, ...environment } });

    expect((await list()).total).toBe(demoCatalogue().length);
  }, 60_000);
});
