import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { json, uniqueEmail } from "../shared/harness";
import { launchChromium } from "../support/chromium";
import { testEnvironment } from "../support/node-app";
import { rawGet } from "../support/raw-http";

const ADMIN_PASSWORD = "dashboard admin password";
const ADMIN_TOKEN = "dashboard-operations-token-0123456789";
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

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
      testEnvironment({
        PORT: "0",
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD,
        ADMIN_TOKEN,
        METRICS_FLUSH_MS: "0",
        REDIS_PREFIX: `dash-${crypto.randomUUID().slice(0, 8)}`,
      }),
    );
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const api = async <T>(path: string, init: RequestInit = {}) =>
    ((await (await fetch(`${base}${path}`, { ...init, headers: { ...admin, ...init.headers } })).json()) as { data: T }).data;
  const shown = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? "";
  const metric = (page: Page, name: string) => shown(page, `[data-metric="${name}"]`);
  // Waits through locators: the page's Content-Security-Policy refuses eval, which page.waitForFunction needs.
  const signedIn = async (page: Page) => {
    await page.locator("#board").waitFor({ state: "visible" });
    await page.locator('body[data-loaded="true"]').waitFor({ state: "attached" });
  };
  const waitForText = (page: Page, selector: string, text: string | RegExp) =>
    page.locator(selector, { hasText: text }).waitFor({ state: "attached" });
  /** A new tab on /dashboard, noting every Content-Security-Policy violation Chromium reports. */
  const openDashboard = async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/dashboard`);
    return { page, violations };
  };
  /** Each x-axis label of a chart: the sample time it names (data-at) and the text shown. */
  const clockLabels = async (page: Page, chart: string) => {
    const labels = page.locator(`#${chart} .x-axis text`);
    const found: { at: string; text: string }[] = [];
    for (let i = 0; i < (await labels.count()); i++)
      found.push({ at: (await labels.nth(i).getAttribute("data-at")) ?? "", text: (await labels.nth(i).textContent()) ?? "" });
    return found;
  };
  /** A time as the charts show it when they span less than ten minutes: the local clock, with seconds. */
  const clockTime = (at: string) => new Date(at).toTimeString().slice(0, 8);
  const polylinePoints = async (page: Page, chart: string) =>
    ((await page.locator(`#${chart} polyline`).getAttribute("points")) ?? "").trim().split(/\s+/).length;

  it("signs in with an admin account and shows the same figures as /api/cache/metrics after traffic", async () => {
    // Traffic: creates (written through), reads (HIT), a cold read (MISS), a list (MISS, then HIT), a consistency run.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await fetch(
        `${base}/api/products`,
        json({ name: `Dashboard Item ${i}`, description: "Shown on the dashboard test.", price: 5, stock: 1, category: "dash" }, admin),
      );
      ids.push(((await created.json()) as { data: { id: string } }).data.id);
    }
    productId = ids[0]!;
    for (const id of ids) for (let i = 0; i < 4; i++) await fetch(`${base}/api/products/${id}`);
    await fetch(`${base}/api/cache`, { method: "DELETE", headers: admin });
    await fetch(`${base}/api/products/${ids[0]}`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/products?category=dash`);
    await fetch(`${base}/api/cache/consistency/run`, { method: "POST", headers: admin });

    const { page, violations } = await openDashboard();
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
    for (const name of ["hits", "misses", "stale", "coalesced", "errors"] as const)
      expect(await metric(page, name)).toBe(String(metrics.cache[name]));
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

    // Axes: round values from 0 up the side; along the bottom, the clock times of kept samples, the oldest first.
    expect(await page.locator("#hit-rate-chart .y-axis text").allTextContents()).toEqual(["0%", "20%", "40%", "60%", "80%", "100%"]);
    const memoryTicks = await page.locator("#memory-chart .y-axis text").allTextContents();
    expect(memoryTicks.length).toBeGreaterThanOrEqual(2);
    for (const tick of memoryTicks) expect(tick).toMatch(/^\d+(\.\d+)? (KiB|MiB)$/);
    const samples = (await api<{ samples: { at: string }[] }>("/api/cache/metrics/history")).samples.map((sample) => sample.at);
    for (const chart of ["hit-rate-chart", "memory-chart", "latency-chart"]) {
      const labels = await clockLabels(page, chart);
      expect(labels.length, chart).toBeGreaterThanOrEqual(1);
      expect(labels[0]!.at, chart).toBe(samples[0]);
      for (const { at, text } of labels) {
        expect(samples, chart).toContain(at);
        expect(text, chart).toBe(clockTime(at));
      }
      expect(
        labels.map(({ at }) => at),
        chart,
      ).toEqual([...labels.map(({ at }) => at)].sort());
    }
    const [oldestRun] = (await api<{ history: { finishedAt: string }[] }>("/api/cache/consistency")).history.slice(-1);
    expect((await clockLabels(page, "score-chart"))[0]).toEqual({ at: oldestRun!.finishedAt, text: clockTime(oldestRun!.finishedAt) });

    // Signing out ends the session: a reload shows the sign-in form, not data.
    await page.click("#sign-out");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.reload();
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#board").isHidden()).toBe(true);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it("signs in with the admin token; flush and consistency run ask first, and Cancel changes nothing", async () => {
    const { page, violations } = await openDashboard();
    await page.fill("#token", "not-the-token");
    await page.click("#token-form button[type=submit]");
    await waitForText(page, "#login-error", "not accepted");
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
    await waitForText(page, "#action-result", /^Flushed/);
    expect(await shown(page, "#action-result")).toMatch(/^Flushed [1-9]\d* cache entries$/);
    expect(await cacheState()).toBe("MISS");

    const runsBefore = (await api<{ history: unknown[] }>("/api/cache/consistency")).history.length;
    await page.click("#run");
    await page.click("#confirm-cancel");
    await page.click("#run");
    await page.click("#confirm-ok");
    await waitForText(page, "#action-result", /^Run finished/);
    expect(await shown(page, "#action-result")).toMatch(/^Run finished: score \d+(\.\d+)?, \d+ repaired$/);
    expect((await api<{ history: unknown[] }>("/api/cache/consistency")).history.length).toBe(runsBefore + 1);

    await page.click("#sign-out");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.reload();
    await page.locator("#login").waitFor({ state: "visible" });
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it("serves the page to revalidate, with nothing inline and a Content-Security-Policy that allows only its own files and this origin's API; its stylesheet and script at URLs that name their content, immutable", async () => {
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("public, no-cache");
    expect(page.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son\w+=/i);
    const linked = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(linked).toEqual([
      expect.stringMatching(/^\/dashboard\/assets\/dashboard\.[\w-]{24}\.css$/),
      expect.stringMatching(/^\/dashboard\/assets\/dashboard\.[\w-]{24}\.js$/),
    ]);
    for (const path of linked) {
      const asset = await rawGet(server.port, path, {});
      expect(asset.status, path).toBe(200);
      expect(asset.headers["cache-control"], path).toBe("public, max-age=31536000, immutable");
      expect(asset.headers["content-type"], path).toMatch(path.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
      // The name carries the bytes' hash: new bytes, a new URL.
      expect(path).toContain(`.${createHash("sha256").update(asset.body).digest().subarray(0, 18).toString("base64url")}.`);
    }
    // Only those names: another hash, the bare file name or the page itself is not there.
    for (const path of [
      linked[0]!.replace(/\.[\w-]{24}\./, ".AAAAAAAAAAAAAAAAAAAAAAAA."),
      "/dashboard/assets/dashboard.css",
      "/dashboard/assets/index.html",
      "/dashboard/assets/",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ status: "error", code: "NOT_FOUND" });
    }
  });
});
