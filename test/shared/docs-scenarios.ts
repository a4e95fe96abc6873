import { beforeAll, describe, expect, it } from "vitest";
import type { Harness, Send } from "./harness";

/** Every URL a page loads through a tag's src or href. */
function pageResources(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
}

/** /docs served with no network: Swagger UI's files come from the app, at versioned URLs. */
export function docsScenarios(harness: Harness) {
  let send: Send;
  beforeAll(async () => {
    send = await harness.app();
  });

  describe("/docs offline", () => {
    it("loads Swagger UI from the app itself, never from a CDN", async () => {
      const page = await send("/docs");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("url: '/openapi.json'");
      const resources = pageResources(html);
      expect(resources.sort()).toEqual([
        expect.stringMatching(/^\/docs\/assets\/swagger-ui-dist@\d+\.\d+\.\d+\/swagger-ui-bundle\.js$/),
        expect.stringMatching(/^\/docs\/assets\/swagger-ui-dist@\d+\.\d+\.\d+\/swagger-ui\.css$/),
      ]);
      for (const resource of resources) {
        const asset = await send(resource);
        expect(asset.status, resource).toBe(200);
        expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
        const body = await asset.text();
        if (resource.endsWith(".js")) {
          expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
          expect(body).toContain("SwaggerUIBundle");
        } else {
          expect(asset.headers.get("content-type")).toMatch(/^text\/css/);
          expect(body).toContain(".swagger-ui");
        }
        expect(body.length).toBeGreaterThan(10_000);
      }
    });

    it("serves only those files, and only at the installed version", async () => {
      const html = await (await send("/docs")).text();
      const bundle = pageResources(html).find((resource) => resource.endsWith(".js"))!;
      const otherVersion = bundle.replace(/@[\d.]+\//, "@0.0.1/");
      for (const path of [otherVersion, bundle.replace("swagger-ui-bundle.js", "package.json"), bundle.replace("swagger-ui-bundle.js", "../../../wrangler.toml"), "/docs/assets/"]) {
        const response = await send(path);
        expect(response.status, path).toBe(404);
        expect(await response.json()).toMatchObject({ status: "error", code: "NOT_FOUND" });
      }
    });
  });
}
