import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { json, uniqueEmail } from "../shared/harness";
import { launchChromium } from "../support/chromium";
import { testEnvironment } from "../support/node-app";

const ADMIN_PASSWORD = "dashboard admin password";

interface Metrics {
  cache: { hits: number; misses: number; stale: number; coalesced: number; errors: number; hitRate: number };
  rateLimit: { allowed: number; blocked: number };
  consistency: { lastScore: number | null };
  redis: { adapter: string; status: string };
}

describe("the cache dashboard in headless Chromium", () => {
  const adminEmail = uniqueEmail("dashboard");
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let base: string;
  let browser: Browser;
  let adminToken: string;
  beforeAll(async () => {
    server = await startNodeServer(
      testEnvironment({ PORT: "0", ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD, METRICS_FLUSH_MS: "0", REDIS_PREFIX: `dash-${crypto.randomUUID().slice(0, 8)}` }),
    );
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
    const login = await fetch(`${base}/api/auth/login`, json({ email: adminEmail, password: ADMIN_PASSWORD }));
    adminToken = ((await login.json()) as { data: { token: string } }).data.token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows the same figures as /api/cache/metrics after traffic", async () => {
    const admin = { authorization: `Bearer ${adminToken}` };
    // Traffic: creates (written through), reads (HIT), a cold read (MISS), a list (MISS, then HIT), a consistency run.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await fetch(`${base}/api/products`, json({ name: `Dashboard Item ${i}`, description: "Shown on the dashboard test.", price: 5, stock: 1, category: "dash" }, admin));
      ids.push(((await created.json()) as { data: { id: string } }).data.id);
    }
    for (const id of ids) for (let i = 0; i < 4; i++) await fetch(`${base}/api/products/${id}`);
    await fetch(`${base}/api/cache`, { method: "DELETE", headers: admin });
    await fetch(`${base}/api/products/${ids[0]}`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/cache/consistency/run`, { method: "POST", headers: admin });

    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${base}/dashboard`);
    await page.locator("#login").waitFor({ state: "visible" });
    await page.fill("#email", adminEmail);
    await page.fill("#password", ADMIN_PASSWORD);
    await page.click("button[type=submit]");
    await page.locator("#board").waitFor({ state: "visible" });
    await page.waitForFunction('document.body.dataset.loaded === "true"');

    const shown = async (name: string) => (await page.locator(`[data-metric="${name}"]`).textContent())?.trim() ?? "";
    const response = await fetch(`${base}/api/cache/metrics`, { headers: admin });
    const metrics = ((await response.json()) as { data: Metrics }).data;
    expect(metrics.cache.hits).toBeGreaterThanOrEqual(12);
    expect(metrics.cache.misses).toBeGreaterThanOrEqual(2);
    for (const name of ["hits", "misses", "stale", "coalesced", "errors"] as const) expect(await shown(name)).toBe(String(metrics.cache[name]));
    expect(await shown("hitRate")).toBe(`${(metrics.cache.hitRate * 100).toFixed(1)}%`);
    expect(await shown("blocked")).toBe(String(metrics.rateLimit.blocked));
    // The page's own polling counts as allowed requests, so it can only have seen fewer.
    expect(Number(await shown("allowed"))).toBeLessThanOrEqual(metrics.rateLimit.allowed);
    expect(await shown("lastScore")).toBe(String(metrics.consistency.lastScore));
    expect(await shown("redis")).toBe(`${metrics.redis.adapter} · up`);
    expect(await page.locator("#score-chart polyline").count()).toBe(1);
    expect(await page.locator("#outcomes-chart rect").count()).toBe(4);

    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });
  }, 60_000);

  it("shows the sign-in form, not data, without an admin session", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#board").isHidden()).toBe(true);
  }, 30_000);
});
