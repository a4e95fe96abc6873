import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { json } from "../shared/harness";
import { spawnServer } from "../support/spawned-server";

const NODE_ENTRY = fileURLToPath(new URL("../../src/entry/node.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

/** `npm start` as a new user runs it, in a folder of their own: resolves once it says where it listens. */
const start = (cwd: string, environment: Record<string, string> = {}) =>
  spawnServer([TSX, NODE_ENTRY], cwd, { PATH: process.env.PATH ?? "", ...environment });

describe("a first start with embedded defaults", () => {
  it("reads .env, says where everything is, and makes a development admin whose password it shows once", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "jollyjet-first-run-"));
    folders.push(cwd);
    await writeFile(join(cwd, ".env"), "PORT=0\nLOG_LEVEL=info\nRATE_LIMIT_AUTH_MAX=50\n");
    const first = await start(cwd);
    try {
      expect(first.listening).toMatchObject({
        redis: "embedded",
        docs: `${first.listening.url}/docs`,
        dashboard: `${first.listening.url}/dashboard`,
      });
      // Printed right after the server is up.
      for (let i = 0; i < 50 && !first.stderr().includes("development admin"); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const shown = /email (\S+), password (\S+)/.exec(first.stderr());
      expect(shown).not.toBeNull();
      const login = await fetch(`${first.listening.url}/api/auth/login`, json({ email: shown![1], password: shown![2] }));
      expect(login.status).toBe(200);
      expect(((await login.json()) as { data: { user: { roles: string[] } } }).data.user.roles).toContain("admin");
      expect((await fetch(`${first.listening.url}/`)).status).toBe(200);
    } finally {
      await first.stop();
    }
    // Seeding the demo catalogue ran every cache script for the first time, on a store that had none (issue 22).
    expect(first.stdout()).not.toMatch(/NOSCRIPT|owed/);
    // The next start finds the admin: nothing is shown again.
    const second = await start(cwd);
    try {
      expect(second.stderr()).not.toMatch(/password/);
      expect(second.listening.admin).toContain("development admin");
    } finally {
      await second.stop();
    }
  }, 60_000);

  it("does not lock a developer out for long after mistyped passwords, and set variables still win", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "jollyjet-typos-"));
    folders.push(cwd);
    const mistype = (url: string) => fetch(`${url}/api/auth/login`, json({ email: "admin@jollyjet.local", password: "not the password" }));
    const development = await start(cwd, { PORT: "0" });
    try {
      for (let attempt = 1; attempt <= 6; attempt++) expect((await mistype(development.listening.url)).status).toBe(401);
      const seventh = await mistype(development.listening.url);
      expect(seventh.headers.get("ratelimit-policy")).toContain('"auth";q=20;w=60');
    } finally {
      await development.stop();
    }
    // Set explicitly (here API.md's production defaults), the variables decide: the sixth attempt is refused.
    const configured = await start(cwd, { PORT: "0", RATE_LIMIT_AUTH_MAX: "5", RATE_LIMIT_AUTH_WINDOW_S: "900" });
    try {
      const statuses: number[] = [];
      for (let attempt = 1; attempt <= 6; attempt++) statuses.push((await mistype(configured.listening.url)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    } finally {
      await configured.stop();
    }
  }, 60_000);

  it("with a real Redis in production, refuses to start without an admin decision", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "jollyjet-production-"));
    folders.push(cwd);
    const child = spawn(TSX, [NODE_ENTRY], {
      cwd,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", REDIS_URL: inject("redisUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/admin decision/);
  }, 30_000);
});
