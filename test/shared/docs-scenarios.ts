import { beforeAll, describe, expect, it } from "vitest";
import { stableWindowSeconds, type Harness, type Send } from "./harness";

/** Every URL a page loads through a tag's src or href. */
function pageResources(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
}

/** The bytes of a response as sent (app.request and workerd's fetch handler hand them back undecoded). */
const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());

/** Byte-for-byte equality (expect's deep equality walks 1.7 MB element by element, for seconds). */
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
}

/** A client address of its own (each app has its own key prefix too). */
const randomAddress = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

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
      for (const path of [
        otherVersion,
        bundle.replace("swagger-ui-bundle.js", "package.json"),
        bundle.replace("swagger-ui-bundle.js", "../../../wrangler.toml"),
        "/docs/assets/",
      ]) {
        const response = await send(path);
        expect(response.status, path).toBe(404);
        expect(await response.json()).toMatchObject({ status: "error", code: "NOT_FOUND" });
      }
    });
  });

  const assetPaths = async () => pageResources(await (await send("/docs")).text());

  describe("/docs assets and /openapi.json: made once, served as they are (issue 23)", () => {
    it("each has a strong ETag, stable across requests, says it varies by Accept-Encoding, and answers If-None-Match with 304", async () => {
      for (const path of [...(await assetPaths()), "/openapi.json"]) {
        const first = await send(path);
        const second = await send(path);
        expect(first.status, path).toBe(200);
        const etag = first.headers.get("etag");
        expect(etag, path).toMatch(/^"[\w-]{16,}"$/);
        expect(second.headers.get("etag"), path).toBe(etag);
        expect(first.headers.get("vary"), path).toMatch(/accept-encoding/i);
        expect(sameBytes(await bytesOf(second), await bytesOf(first)), path).toBe(true);

        for (const candidate of [etag!, `W/${etag}`, `"something-else", ${etag}`, "*"]) {
          const revalidated = await send(path, { headers: { "if-none-match": candidate } });
          expect(revalidated.status, `${path} If-None-Match: ${candidate}`).toBe(304);
          expect(revalidated.headers.get("etag")).toBe(etag);
          expect(revalidated.headers.get("cache-control")).toBe(first.headers.get("cache-control"));
          expect(await revalidated.text()).toBe("");
        }
        const changed = await send(path, { headers: { "if-none-match": `"not-this-one"` } });
        expect(changed.status, path).toBe(200);
      }
      const spec = await send("/openapi.json");
      expect(spec.headers.get("content-type")).toMatch(/^application\/json/);
      // The document changes with a deployment: caches keep it but revalidate.
      expect(spec.headers.get("cache-control")).toBe("public, no-cache");
      expect(JSON.parse(await spec.text())).toMatchObject({ openapi: "3.1.0" });
    });

    it(
      harness.runtime !== "workerd"
        ? `${harness.runtime}: brotli or gzip as the client prefers, each its own representation, the same bytes every time`
        : "workerd: the identity bytes (Cloudflare's edge compresses)",
      async () => {
        for (const path of [...(await assetPaths()), "/openapi.json"]) {
          const plain = await send(path);
          const identity = await bytesOf(plain);
          expect(plain.headers.get("content-encoding"), path).toBeNull();
          if (harness.runtime === "workerd") {
            const asked = await send(path, { headers: { "accept-encoding": "gzip, br" } });
            expect(asked.headers.get("content-encoding")).toBeNull();
            expect(sameBytes(await bytesOf(asked), identity)).toBe(true);
            continue;
          }
          const tags = new Set([plain.headers.get("etag")]);
          for (const [acceptEncoding, coding] of [
            ["gzip, deflate, br", "br"],
            ["br", "br"],
            ["gzip", "gzip"],
            ["br;q=0, gzip", "gzip"],
            ["gzip;q=0.5, br;q=0.4", "gzip"],
            ["*", "br"],
            ["identity", null],
            // What only a per-request compressor could serve gets the identity bytes, not a fresh deflate.
            ["deflate", null],
          ] as const) {
            const first = await send(path, { headers: { "accept-encoding": acceptEncoding } });
            const second = await send(path, { headers: { "accept-encoding": acceptEncoding } });
            expect(first.headers.get("content-encoding"), `${path} ${acceptEncoding}`).toBe(coding);
            expect(first.headers.get("vary")).toMatch(/accept-encoding/i);
            const body = await bytesOf(first);
            expect(sameBytes(await bytesOf(second), body), `${path} ${acceptEncoding}`).toBe(true);
            expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
            expect(Number(first.headers.get("content-length")), `${path} ${acceptEncoding}`).toBe(body.length);
            if (coding === null) {
              expect(sameBytes(body, identity)).toBe(true);
              expect(first.headers.get("etag")).toBe(plain.headers.get("etag"));
              continue;
            }
            expect(body.length, `${path} ${coding}`).toBeLessThan(identity.length / 2);
            if (coding === "gzip") expect(sameBytes(await gunzip(body), identity)).toBe(true);
            tags.add(first.headers.get("etag"));
            // 304 only for this representation's own tag.
            expect(
              (await send(path, { headers: { "accept-encoding": acceptEncoding, "if-none-match": first.headers.get("etag")! } })).status,
            ).toBe(304);
            expect(
              (await send(path, { headers: { "accept-encoding": acceptEncoding, "if-none-match": plain.headers.get("etag")! } })).status,
            ).toBe(200);
          }
          expect(tags.size, `${path}: identity, br and gzip each have their own ETag`).toBe(3);
        }
      },
    );
  });

  describe("rate limits on /docs, /openapi.json and /dashboard (issue 23)", () => {
    it("answer 429 past the default policy's limit, with the RateLimit headers, while /health stays unlimited", async () => {
      const window = stableWindowSeconds();
      const limited = await harness.app({
        ...harness.clientAddressing,
        RATE_LIMIT_MAX: "3",
        RATE_LIMIT_WINDOW_S: String(window),
        REDIS_PREFIX: `docs-rl-${crypto.randomUUID().slice(0, 8)}`,
      });
      const bundle = (await assetPaths()).find((resource) => resource.endsWith(".js"))!;
      for (const path of ["/docs", bundle, "/openapi.json", "/dashboard"]) {
        const client = harness.from(randomAddress());
        const statuses = [];
        for (let i = 0; i < 4; i++) {
          const response = await limited(path, { headers: client });
          statuses.push(response.status);
          expect(response.headers.get("ratelimit-policy"), path).toBe(`"default";q=3;w=${window}`);
          expect(response.headers.get("ratelimit"), path).toMatch(/^"default";r=\d+;t=\d+$/);
          expect(response.headers.get("x-ratelimit-limit"), path).toBe("3");
          if (response.status === 429) {
            expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
            expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
            expect(await response.json()).toMatchObject({ status: "error", code: "RATE_LIMITED" });
          }
        }
        expect(statuses, path).toEqual([200, 200, 200, 429]);
        // The same client, limited: the load balancer's probe still answers, and spends nothing.
        for (let i = 0; i < 10; i++) {
          const health = await limited("/health", { headers: client });
          expect(health.status).toBe(200);
          expect(health.headers.get("ratelimit-policy")).toBeNull();
        }
      }
    });
  });
}
