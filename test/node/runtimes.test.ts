import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { json } from "../shared/harness";
import { spawnServer } from "../support/spawned-server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

/**
 * `npm start`, `npm run start:bun` and `npm run start:deno` exactly as the README gives them
 * (Deno with the script's permissions, not -A), against a real redis-server: what the scenario
 * suites, run under each runtime's vitest with every permission, cannot show. SIGTERM goes to
 * npm, as a container's stop sends it; the scripts `exec` the runtime so that it gets the signal.
 */
describe.each([
  ["node", "start"],
  ["bun", "start:bun"],
  ["deno", "start:deno"],
] as const)("%s: npm run %s", (runtime, script) => {
  it("serves every kind of endpoint with the script's permissions, and stops cleanly on SIGTERM", async () => {
    const folder = await mkdtemp(join(tmpdir(), `jollyjet-${runtime}-`));
    folders.push(folder);
    const server = await spawnServer(["npm", "run", "--silent", script], ROOT, {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? folder,
      PORT: "0",
      DATABASE_URL: `file:${join(folder, "catalogue.db")}`,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `${runtime}-${crypto.randomUUID().slice(0, 8)}`,
      LOG_LEVEL: "info",
    });
    try {
      const { url } = server.listening;
      expect(server.listening.redis).toBe("ioredis");
      const health = (await (await fetch(`${url}/health`)).json()) as { data: { runtime: string; status: string } };
      expect(health.data).toMatchObject({ runtime, status: "ok" });

      for (let i = 0; i < 50 && !server.stderr().includes("development admin"); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const [, email, password] = /email (\S+), password (\S+)/.exec(server.stderr()) ?? [];
      const login = await fetch(`${url}/api/auth/login`, json({ email, password }));
      expect(login.status).toBe(200);
      const { token } = ((await login.json()) as { data: { token: string } }).data;
      const admin = { authorization: `Bearer ${token}` };

      const products = (await (await fetch(`${url}/api/products?limit=5`)).json()) as { data: { products: { id: string }[] } };
      expect(products.data.products).toHaveLength(5);
      const run = await fetch(`${url}/api/cache/consistency/run`, { method: "POST", headers: admin });
      expect(run.status).toBe(200);
      for (const path of ["/api/cache/metrics", "/dashboard", "/docs", "/openapi.json"]) {
        expect((await fetch(`${url}${path}`, { headers: admin })).status, path).toBe(200);
      }
    } finally {
      await server.stop();
    }
    // npm passes SIGTERM on; the runtime's process closed its server and exited (nothing listens).
    expect(server.stdout()).toContain('"message":"shutting down"');
    await expect(fetch(`${server.listening.url}/health`)).rejects.toThrow();
    expect(server.stderr()).not.toMatch(/NotCapable|error/i);
  }, 60_000);
});
