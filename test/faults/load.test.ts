/**
 * A bounded load run against the real Node server in a child process (`node --import tsx
 * src/entry/node.ts`, demo catalogue of 240 products, the shared redis-server): 30 s of
 * autocannon on 127.0.0.1 with a mix of product reads, list pages, unknown ids and health
 * checks. Every answer must be the expected one (no 5xx, no socket errors or timeouts), and
 * the server's resident memory must stay level from the first third of the run to the last.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sleep } from "../shared/harness";
import { findFreePort } from "../support/redis-server";

const DURATION_S = 30;
const CONNECTIONS = 20;
const DEMO_PRODUCTS = 240;
const RSS_GROWTH_BOUND = 1.5;
const ROOT = new URL("../../", import.meta.url);

interface Page {
  products: Array<{ id: string }>;
  total: number;
}

type Category = "product" | "list" | "missing" | "health";

/** VmRSS of a process in KiB, from /proc (undefined once it is gone). */
function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

describe("bounded load on the Node server (child process)", () => {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";
  let directory: string | undefined;
  let base = "";

  beforeAll(async () => {
    const port = await findFreePort();
    directory = mkdtempSync(join(tmpdir(), "jollyjet-load-"));
    base = `http://127.0.0.1:${port}`;
    // A clean environment: nothing from the test runner (NODE_OPTIONS, VITEST_*) leaks into the server.
    const environment: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? directory,
      PORT: String(port),
      DATABASE_URL: `file:${join(directory, "load.db")}`,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `load-${crypto.randomUUID().slice(0, 8)}`,
      LOG_LEVEL: "error",
      RATE_LIMIT_MAX: "1000000",
      RATE_LIMIT_WINDOW_S: "60",
    };
    const spawned = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
      cwd: ROOT,
      env: environment,
      // Its own process group, so afterAll can stop it and whatever it started (tsx's esbuild service) together.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = spawned;
    exited = new Promise((resolve) => spawned.once("exit", () => resolve()));
    const keep = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-4_000));
    spawned.stdout?.on("data", keep);
    spawned.stderr?.on("data", keep);

    // Listening, then seeded: /health answers 200 and the list holds the whole demo catalogue.
    const deadline = Date.now() + 45_000;
    for (;;) {
      if (spawned.exitCode !== null || spawned.signalCode !== null) throw new Error(`the server exited during start-up:\n${output}`);
      const total = await fetch(`${base}/health`)
        .then(async (health) => {
          await health.arrayBuffer();
          if (health.status !== 200) return undefined;
          const list = await fetch(`${base}/api/products?limit=1`);
          return list.status === 200 ? ((await list.json()) as { data: Page }).data.total : undefined;
        })
        .catch(() => undefined);
      if (total === DEMO_PRODUCTS) break;
      if (Date.now() > deadline)
        throw new Error(`the server did not serve ${DEMO_PRODUCTS} products within 45 s (last total ${String(total)}):\n${output}`);
      await sleep(200);
    }
  }, 60_000);

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const group = -child.pid;
      try {
        process.kill(group, "SIGTERM");
      } catch {
        // already gone
      }
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // already gone
        }
        await exited;
      }
    }
    // The rest of the group (tsx's esbuild service) must not outlive the server.
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // no such group left: nothing stray
      }
    }
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it(`serves ${DURATION_S} s of mixed traffic without errors and with level memory`, async () => {
    const pid = child!.pid!;
    // `node --import tsx` is one process (tsx's hooks run in a thread of it), so this pid is the server.
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("src/entry/node.ts");

    const ids: string[] = [];
    for (let page = 1; page <= Math.ceil(DEMO_PRODUCTS / 100); page += 1) {
      const response = await fetch(`${base}/api/products?limit=100&page=${page}`);
      ids.push(...((await response.json()) as { data: Page }).data.products.map((product) => product.id));
    }
    expect(ids).toHaveLength(DEMO_PRODUCTS);
    const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
    const pages = Math.ceil(DEMO_PRODUCTS / 20);

    const byCategory: Record<Category, Record<number, number>> = { product: {}, list: {}, missing: {}, health: {} };
    const count = (category: Category) => (status: number) => {
      byCategory[category][status] = (byCategory[category][status] ?? 0) + 1;
    };
    const product: autocannon.Request = {
      method: "GET",
      setupRequest: (request) => ({ ...request, path: `/api/products/${pick(ids)}` }),
      onResponse: count("product"),
    };
    const list: autocannon.Request = {
      method: "GET",
      setupRequest: (request) => ({ ...request, path: `/api/products?page=${1 + Math.floor(Math.random() * pages)}&limit=20` }),
      onResponse: count("list"),
    };
    const missing: autocannon.Request = {
      method: "GET",
      setupRequest: (request) => ({ ...request, path: `/api/products/missing-${crypto.randomUUID()}` }),
      onResponse: count("missing"),
    };
    const health: autocannon.Request = { method: "GET", path: "/health", onResponse: count("health") };
    // Per connection, cycled: 14 product reads, 3 list pages, 2 unknown ids, 1 health check.
    const requests = [
      product,
      product,
      list,
      product,
      product,
      missing,
      product,
      product,
      list,
      product,
      product,
      product,
      missing,
      product,
      product,
      list,
      product,
      product,
      product,
      health,
    ];

    const samples: number[] = [];
    const sampler = setInterval(() => {
      const kib = rssKiB(pid);
      if (kib !== undefined) samples.push(kib);
    }, 1_000);
    const statuses: Record<number, number> = {};
    const requestErrors: string[] = [];
    let result: autocannon.Result;
    try {
      result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          { url: base, connections: CONNECTIONS, duration: DURATION_S, timeout: 10, requests },
          (error: unknown, done: autocannon.Result) =>
            error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
        );
        instance.on("response", (_client, statusCode) => {
          statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
        });
        instance.on("reqError", (error: unknown) => {
          if (requestErrors.length < 10) requestErrors.push(String(error));
        });
      });
    } finally {
      clearInterval(sampler);
    }

    const third = Math.floor(samples.length / 3);
    const firstThird = mean(samples.slice(0, third)) / 1024;
    const lastThird = mean(samples.slice(samples.length - third)) / 1024;
    const fiveHundreds = Object.entries(statuses).filter(([status]) => Number(status) >= 500);

    console.log(
      `[faults] load: ${JSON.stringify({
        durationS: result.duration,
        connections: CONNECTIONS,
        requests: result.requests.total,
        requestsPerSecond: Math.round(result.requests.average),
        latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
        errors: result.errors,
        timeouts: result.timeouts,
        statuses,
        byCategory,
        rssMiB: {
          samples: samples.length,
          firstThird: Math.round(firstThird),
          lastThird: Math.round(lastThird),
          max: Math.round(Math.max(...samples) / 1024),
        },
      })}`,
    );

    expect.soft(requestErrors, "socket errors").toEqual([]);
    expect.soft(result.errors, "connection errors (timeouts included)").toBe(0);
    expect.soft(result.timeouts, "timeouts").toBe(0);
    expect.soft(fiveHundreds, "5xx answers").toEqual([]);
    // Each kind of request gets its expected answer; 429 is allowed (rate limits exist) but not required.
    const unexpected = (category: Category, allowed: number[]) =>
      Object.entries(byCategory[category]).filter(([status]) => !allowed.includes(Number(status)) && Number(status) !== 429);
    expect.soft(unexpected("product", [200]), "product reads").toEqual([]);
    expect.soft(unexpected("list", [200]), "list pages").toEqual([]);
    expect.soft(unexpected("missing", [404]), "unknown ids").toEqual([]);
    expect.soft(unexpected("health", [200]), "health checks").toEqual([]);
    expect.soft(result.requests.total).toBeGreaterThan(0);
    expect.soft(samples.length, "RSS samples").toBeGreaterThanOrEqual(DURATION_S - 2);
    expect
      .soft(lastThird, `mean RSS of the last third (${Math.round(lastThird)} MiB) vs the first (${Math.round(firstThird)} MiB)`)
      .toBeLessThanOrEqual(RSS_GROWTH_BOUND * firstThird);
  });
});
