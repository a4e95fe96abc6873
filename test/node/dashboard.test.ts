import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { json, uniqueEmail } from "../shared/harness";
import { launchChromium } from "../support/chromium";
import { testEnvironment } from "../support/node-app";

const ADMIN_PASSWORD = "dashboard admin password";
const ADMIN_TOKEN = "dashboard-operations-token-0123456789";

interface Metrics {
  cache: { hits: number; misses: number; stale: number; coalesced: number; errors: number; hitRate: number };
  rateLimit: { allowed: number; blocked: number; policies: { name: string; limit: number; windowSeconds: number; failMode: string }[] };
  consistency: { lastScore: number | null };
  redis: { adapter: string; status: string; latencyMs: number; keys: number; usedMemoryBytes: number | null };
}

describe("the cache dashboard in headless Chromium", () => {
  const adminEmail = uniqueEmail("dashboard");
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let base: string;
  let browser: Browser;
  let productId: string;
  beforeAll(async () => {
    server = await startNodeServer(
      testEnvironment({ PORT: "0", ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD, ADMIN_TOKEN, METRICS_FLUSH_MS: "0", REDIS_PREFIX: `dash-${crypto.randomUUID().slice(0, 8)}` }),
    );
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const api = async <T>(path: string, init: RequestInit = {}) => ((await (await fetch(`${base}${path}`, { ...init, headers: { ...admin, ...init.headers } })).json()) as { data: T }).data;
  const shown = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? "";
  const metric = (page: Page, name: string) => shown(page, `[data-metric="${name}"]`);
  const signedIn = async (page: Page) => {
    await page.locator("#board").waitFor({ state: "visible" });
    await page.waitForFunction('document.body.dataset.loaded === "true"');
  };
  const polylinePoints = async (page: Page, chart: string) => ((await page.locator(`#${chart} polyline`).getAttribute("points")) ?? "").trim().split(/\s+/).length;

  it("signs in with an admin account and shows the same figures as /api/cache/metrics after traffic", async () => {
    // Traffic: creates (written through), reads (HIT), a cold read (MISS), a list (MISS, then HIT), a consistency run.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await fetch(`${base}/api/products`, json({ name: `Dashboard Item ${i}`, description: "Shown on the dashboard test.", price: 5, stock: 1, category: "dash" }, admin));
      ids.push(((await created.json()) as { data: { id: string } }).data.id);
    }
    productId = ids[0]!;
    for (const id of ids) for (let i = 0; i < 4; i++) await fetch(`${base}/api/products/${id}`);
    await fetch(`${base}/api/cache`, { method: "DELETE", headers: admin });
    await fetch(`${base}/api/products/${ids[0]}`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/cache/consistency/run`, { method: "POST", headers: admin });

    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`${base}/dashboard`);
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#board").isHidden()).toBe(true);
    await page.fill("#email", adminEmail);
    await page.fill("#password", ADMIN_PASSWORD);
    await page.click("#account-form button[type=submit]");
    await signedIn(page);
    expect(await shown(page, "#signed-in-as")).toBe("Signed in with an admin account");

    const metrics = await api<Metrics>("/api/cache/metrics");
    expect(metrics.cache.hits).toBeGreaterThanOrEqual(12);
    expect(metrics.cache.misses).toBeGreaterThanOrEqual(2);
    for (const name of ["hits", "misses", "stale", "coalesced", "errors"] as const) expect(await metric(page, name)).toBe(String(metrics.cache[name]));
    expect(await metric(page, "hitRate")).toBe(`${(metrics.cache.hitRate * 100).toFixed(1)}%`);
    expect(await metric(page, "blocked")).toBe(String(metrics.rateLimit.blocked));
    // The page's own polling counts as allowed requests, so it can only have seen fewer.
    expect(Number(await metric(page, "allowed"))).toBeLessThanOrEqual(metrics.rateLimit.allowed);
    expect(await metric(page, "lastScore")).toBe(String(metrics.consistency.lastScore));
    expect(await metric(page, "redis")).toBe(`${metrics.redis.adapter} · up`);
    // Redis's own figures: a latency, a key count, and real memory from redis-server.
    expect(await metric(page, "latency")).toMatch(/^\d+\.\d ms$/);
    expect(Number(await metric(page, "redisKeys"))).toBeGreaterThan(0);
    expect(metrics.redis.usedMemoryBytes).toBeGreaterThan(100_000);
    expect(await metric(page, "memory")).toMatch(/^\d+(\.\d)? (KiB|MiB)/);
    // Rate-limit policies as configured.
    for (const policy of metrics.rateLimit.policies) {
      expect(await shown(page, `#policies tr[data-policy="${policy.name}"]`)).toBe(
        `${policy.name}${policy.limit}${policy.windowSeconds} s${policy.failMode === "open" ? "admit" : "refuse (503)"}`,
      );
    }
    expect(await page.locator("#policies tr").count()).toBe(metrics.rateLimit.policies.length);
    // The last consistency report.
    const { latest } = await api<{ latest: { scanned: number; repaired: number } }>("/api/cache/consistency");
    expect(await shown(page, '[data-report="scanned"]')).toBe(String(latest.scanned));
    expect(await metric(page, "lastRun")).toContain("(manual)");
    expect(await page.locator("#score-chart polyline").count()).toBe(1);
    expect(await page.locator("#outcomes-chart rect").count()).toBe(4);

    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });

    // History is the server's: after a reload (still signed in by cookie) the charts have every kept sample.
    await page.reload();
    await signedIn(page);
    const kept = async () => Math.max(2, (await api<{ samples: unknown[] }>("/api/cache/metrics/history")).samples.length);
    // A sample may be kept while the page loads (one per 5 s): the chart has the count from just before or just after.
    const before = await kept();
    const points = [await polylinePoints(page, "hit-rate-chart"), await polylinePoints(page, "memory-chart")];
    const after = await kept();
    for (const count of points) expect([before, after]).toContain(count);

    // Signing out ends the session: a reload shows the sign-in form, not data.
    await page.click("#sign-out");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.reload();
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#board").isHidden()).toBe(true);
    await page.close();
  }, 60_000);

  it("signs in with the admin token; flush and consistency run ask first, and Cancel changes nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", "not-the-token");
    await page.click("#token-form button[type=submit]");
    await page.waitForFunction('document.getElementById("login-error").textContent.includes("not accepted")');
    expect(await page.locator("#board").isHidden()).toBe(true);

    await page.fill("#token", ADMIN_TOKEN);
    await page.click("#token-form button[type=submit]");
    await signedIn(page);
    expect(await shown(page, "#signed-in-as")).toBe("Signed in with the admin token");
    // The token is kept for this tab: a reload stays signed in.
    await page.reload();
    await signedIn(page);

    await fetch(`${base}/api/products/${productId}`);
    const cacheState = async () => (await fetch(`${base}/api/products/${productId}`)).headers.get("x-cache");
    expect(await cacheState()).toBe("HIT");

    await page.click("#flush");
    await page.locator("#confirm").waitFor({ state: "visible" });
    expect(await shown(page, "#confirm-text")).toContain("Remove every cached product and list?");
    await page.click("#confirm-cancel");
    await page.locator("#confirm").waitFor({ state: "hidden" });
    expect(await cacheState()).toBe("HIT");

    await page.click("#flush");
    await page.click("#confirm-ok");
    await page.waitForFunction('document.getElementById("action-result").textContent.startsWith("Flushed")');
    expect(await shown(page, "#action-result")).toMatch(/^Flushed [1-9]\d* cache entries$/);
    expect(await cacheState()).toBe("MISS");

    const runsBefore = (await api<{ history: unknown[] }>("/api/cache/consistency")).history.length;
    await page.click("#run");
    await page.click("#confirm-cancel");
    await page.click("#run");
    await page.click("#confirm-ok");
    await page.waitForFunction('document.getElementById("action-result").textContent.startsWith("Run finished")');
    expect(await shown(page, "#action-result")).toMatch(/^Run finished: score \d+(\.\d+)?, \d+ repaired$/);
    expect((await api<{ history: unknown[] }>("/api/cache/consistency")).history.length).toBe(runsBefore + 1);

    await page.click("#sign-out");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.reload();
    await page.locator("#login").waitFor({ state: "visible" });
    await page.close();
  }, 60_000);
});
