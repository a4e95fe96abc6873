import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, inject, it } from "vitest";
import { demoCatalogue } from "../../src/catalogue/demo-catalogue";
import type { Product } from "../../src/catalogue/types";
import { openNodeDatabase } from "../../src/db/libsql-node";
import { data, json } from "../shared/harness";
import { createTestApp } from "../support/node-app";

/**
 * Several processes on one libSQL file (issue 22): real files, real OS processes where it
 * matters (test/support/shared-database-process.ts), each test in its own temp directory.
 */

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROCESS_SCRIPT = fileURLToPath(new URL("../support/shared-database-process.ts", import.meta.url));
const ADMIN_TOKEN = "shared-database-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const folders: string[] = [];
const running: ReturnType<typeof spawn>[] = [];
afterAll(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** `file:` URL of a database file (not yet made) in a temp directory of the test's own. */
async function databaseUrl(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "jollyjet-shared-db-"));
  folders.push(folder);
  return `file:${join(folder, "jollyjet.db")}`;
}

/** A row of the products table, read on a connection of its own. */
async function storedProduct(url: string, id: string) {
  const client = createClient({ url });
  try {
    const [row] = (await client.execute({ sql: "SELECT version, stock FROM products WHERE id = ?", args: [id] })).rows;
    return { version: row?.version, stock: row?.stock };
  } finally {
    client.close();
  }
}

/**
 * Takes the write lock (BEGIN IMMEDIATE) from another OS process without waiting (busy
 * timeout 0) and lets it go: fails while any connection anywhere holds a lock it should not.
 */
async function writeLockFromAnotherProcess(url: string): Promise<void> {
  const script =
    'import { createClient } from "@libsql/client"; const client = createClient({ url: process.argv[1] }); await client.executeMultiple("BEGIN IMMEDIATE; COMMIT"); client.close();';
  await run(process.execPath, ["--input-type=module", "-e", script, url], { cwd: PROJECT_ROOT });
}

/** The helper script in `mode` as a child process: `ready` once set up, `go()` lets it run, `result` is what it prints. */
function child<T>(mode: "start" | "patch", environment: Record<string, string>) {
  const process_ = spawn(process.execPath, ["--import", "tsx", PROCESS_SCRIPT, mode], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", ...environment },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push(process_);
  let stdout = "";
  let stderr = "";
  process_.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  process_.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match) resolve(match[1] ?? "");
      };
      check();
      process_.stdout.on("data", check);
      process_.once("exit", (code) => reject(new Error(`${mode} process exited (${code}) before printing ${pattern}:\n${stderr}`)));
    });
  return {
    ready: printed(/^(ready)$/m),
    result: printed(/^RESULT (.*)$/m).then((line) => JSON.parse(line) as T),
    go: () => process_.stdin.write("go\n"),
    /** Ends its stdin (a server then closes and exits); killed if it is still there after 10 s. */
    stop: async () => {
      if (process_.exitCode !== null || process_.signalCode !== null) return;
      const exited = new Promise((resolve) => process_.once("exit", resolve));
      process_.stdin.end();
      const killer = setTimeout(() => process_.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Lets `children` go at once, when all are set up. */
async function goTogether(children: { ready: Promise<string>; go: () => void }[]): Promise<void> {
  await Promise.all(children.map((one) => one.ready));
  for (const one of children) one.go();
}

const patch = (app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, id: string, body: object) =>
  app.request(`/api/products/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", ...admin },
    body: JSON.stringify(body),
  });

const newProduct = { name: "Shared lamp", description: "A lamp written by several processes.", price: 12.5, stock: 3, category: "Shared" };

describe("several processes on one database file", () => {
  it("the file is in WAL mode and every pooled connection has the busy timeout", async () => {
    const url = await databaseUrl();
    const { client } = await openNodeDatabase({ DATABASE_URL: url, DATABASE_AUTH_TOKEN: undefined, DATABASE_BUSY_TIMEOUT_MS: 200 });
    try {
      // Two open transactions hold two connections; the plain execute needs a third.
      const held = [await client.transaction("deferred"), await client.transaction("deferred")];
      const timeouts = [
        ...(await Promise.all(held.map((transaction) => transaction.execute("PRAGMA busy_timeout")))),
        await client.execute("PRAGMA busy_timeout"),
      ];
      for (const transaction of held) transaction.close();
      expect(timeouts.map((answer) => answer.rows[0]?.[0])).toEqual([200, 200, 200]);
    } finally {
      client.close();
    }
    // A property of the file: a connection of any other client finds it.
    const other = createClient({ url });
    try {
      expect((await other.execute("PRAGMA journal_mode")).rows[0]?.[0]).toBe("wal");
    } finally {
      other.close();
    }
  });

  it("a write waiting longer than the busy timeout answers 503 and keeps nothing; the next one is kept, and no lock is left held", async () => {
    const url = await databaseUrl();
    const { app, close } = await createTestApp({ DATABASE_URL: url, DATABASE_BUSY_TIMEOUT_MS: "200", ADMIN_TOKEN });
    const holder = createClient({ url });
    try {
      const created = await app.request("/api/products", json(newProduct, admin));
      expect(created.status).toBe(201);
      const { id } = await data<Product>(created);

      // Another connection holds the write lock past the app's 200 ms busy timeout.
      const lock = await holder.transaction("write");
      const startedAt = performance.now();
      const refused = await patch(app, id, { stock: 7 });
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(190);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe("DATABASE_UNAVAILABLE");
      // A batch (DELETE: the product, then its wishlist entries) is refused the same way.
      expect((await app.request(`/api/products/${id}`, { method: "DELETE", headers: admin })).status).toBe(503);
      await lock.rollback();
      expect(await storedProduct(url, id)).toEqual({ version: 1, stock: 3 });

      const accepted = await patch(app, id, { stock: 8 });
      expect(accepted.status).toBe(200);
      expect((await data<Product>(accepted)).version).toBe(2);
      expect(await storedProduct(url, id)).toEqual({ version: 2, stock: 8 });
      await writeLockFromAnotherProcess(url);
      // And the app's own connections write on.
      expect((await patch(app, id, { stock: 9 })).status).toBe(200);
      expect(await storedProduct(url, id)).toEqual({ version: 3, stock: 9 });
    } finally {
      holder.close();
      await close();
    }
  });

  it("a write batch whose COMMIT fails is rolled back and leaves no lock held", async () => {
    const url = await databaseUrl();
    const { client } = await openNodeDatabase({ DATABASE_URL: url, DATABASE_AUTH_TOKEN: undefined, DATABASE_BUSY_TIMEOUT_MS: 200 });
    try {
      // A deferred foreign key is checked at COMMIT: the insert succeeds, the COMMIT fails.
      await client.executeMultiple(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
      );
      // Per connection: the pool's one idle connection, which the batch below borrows again.
      await client.execute("PRAGMA foreign_keys = ON");
      await expect(client.batch(["INSERT INTO child VALUES (1)"])).rejects.toThrow(/FOREIGN KEY/);

      await writeLockFromAnotherProcess(url);
      await client.batch(["INSERT INTO parent VALUES (2)", "INSERT INTO child VALUES (2)"]);
      const other = createClient({ url });
      try {
        expect((await other.execute("SELECT parent FROM child")).rows.map((row) => row[0])).toEqual([2]);
      } finally {
        other.close();
      }
    } finally {
      client.close();
    }
  });

  it("three processes updating one product at once lose no acknowledged update", async () => {
    const url = await databaseUrl();
    const environment = {
      DATABASE_URL: url,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `shared-db-${crypto.randomUUID().slice(0, 8)}`,
      ADMIN_TOKEN,
      LOG_LEVEL: "error",
      RATE_LIMIT_MAX: "1000000",
    };
    const { app, close } = await createTestApp(environment);
    const { id } = await data<Product>(await app.request("/api/products", json(newProduct, admin)));
    await close();

    const PATCHES = 30;
    const writers = [0, 1, 2].map((n) =>
      child<{ status: number; version?: number; stock?: number }[]>("patch", {
        ...environment,
        PRODUCT_ID: id,
        PATCHES: String(PATCHES),
        STOCK_BASE: String(n * 1000),
      }),
    );
    await goTogether(writers);
    const answers = (await Promise.all(writers.map((writer) => writer.result))).flat();

    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const versions = answers.map((answer) => answer.version);
    expect(new Set(versions).size).toBe(versions.length);
    const stored = await storedProduct(url, id);
    expect(stored.version).toBe(versions.length + 1);
    // The newest acknowledged update is the one the database kept.
    expect(answers.find((answer) => answer.version === stored.version)?.stock).toBe(stored.stock);
  }, 60_000);

  it("three first starts at once on an empty file all start, and seed the demo catalogue once", async () => {
    const url = await databaseUrl();
    const environment = {
      DATABASE_URL: url,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `shared-db-${crypto.randomUUID().slice(0, 8)}`,
      PORT: "0",
      LOG_LEVEL: "error",
    };
    const servers = [0, 1, 2].map(() =>
      child<{ port: number; developmentAdmin: { email: string; password: string } | null }>("start", environment),
    );
    try {
      await goTogether(servers);
      const started = await Promise.all(servers.map((server) => server.result));

      const other = createClient({ url });
      try {
        expect((await other.execute("SELECT count(*) FROM products")).rows[0]?.[0]).toBe(demoCatalogue().length);
      } finally {
        other.close();
      }
      // One of them made the development admin and showed its password; it signs in everywhere.
      const admins = started.flatMap((server) => (server.developmentAdmin ? [server.developmentAdmin] : []));
      expect(admins).toHaveLength(1);
      for (const { port } of started) {
        expect((await fetch(`http://localhost:${port}/api/auth/login`, json(admins[0]))).status).toBe(200);
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }, 60_000);
});
