import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { launchChromium } from "../support/chromium";
import { testEnvironment } from "../support/node-app";

describe("/docs in headless Chromium with no network beyond the app", () => {
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let browser: Browser;
  beforeAll(async () => {
    server = await startNodeServer(testEnvironment({ PORT: "0" }));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders every operation of the OpenAPI document", async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const page = await browser.newPage();
    // Anything not from the app is refused, as on a machine with no internet.
    const elsewhere: string[] = [];
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(`${base}/`)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    await page.goto(`${base}/docs`);
    await page.locator(".swagger-ui .info .title").waitFor({ state: "visible", timeout: 20_000 });
    expect(await page.locator(".swagger-ui .info .title").textContent()).toContain("JollyJet Edge API");

    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(spec.paths).reduce((count, methods) => count + Object.keys(methods).length, 0);
    await page
      .locator(".opblock")
      .nth(operations - 1)
      .waitFor();
    expect(await page.locator(".opblock").count()).toBe(operations);
    expect(elsewhere).toEqual([]);
  }, 60_000);
});
