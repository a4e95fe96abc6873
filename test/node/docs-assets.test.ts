import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { createNodeServices, startNodeServer } from "../../src/entry/node-server";
import type { Compressor } from "../../src/http/docs-assets";
import { testEnvironment } from "../support/node-app";
import { rawGet } from "../support/raw-http";

const ENCODINGS = ["br", "gzip", "gzip, deflate, br", "deflate", ""];
const IMMUTABLE = "public, max-age=31536000, immutable";

/** An app on Node's services whose compressor notes every compression the app asks for (by coding and input size). */
async function countingApp() {
  const created = await createNodeServices(parseConfig(testEnvironment()));
  const { docsAssets } = created.services;
  const compress: Compressor | undefined = docsAssets.compress;
  const compressed: string[] = [];
  const counting: Compressor = (body, coding) => {
    compressed.push(`${coding}:${body.length}`);
    return compress!(body, coding);
  };
  return {
    app: createApp({ ...created.services, docsAssets: { ...docsAssets, compress: compress && counting } }),
    compressed,
    close: created.close,
  };
}

/** The page's own URLs for its script and stylesheet. */
const linkedPaths = (html: string, prefix: string) =>
  [...html.matchAll(new RegExp(`(?:src|href)="(${prefix}[^"]+)"`, "g"))].map((match) => match[1]!);

/**
 * Asks for every path in every Accept-Encoding, three rounds over, several at once: each
 * coding of a path is the same bytes every time, and br and gzip decode to the identity bytes.
 */
async function expectSameBytesEveryTime(app: ReturnType<typeof createApp>, paths: string[]) {
  const seen = new Map<string, Uint8Array>();
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      paths.flatMap((path) =>
        ENCODINGS.map(async (acceptEncoding) => {
          const response = await app.request(path, { headers: acceptEncoding ? { "accept-encoding": acceptEncoding } : {} });
          expect(response.status).toBe(200);
          const key = `${path} ${response.headers.get("content-encoding")}`;
          const body = new Uint8Array(await response.arrayBuffer());
          const earlier = seen.get(key);
          if (earlier) expect(Buffer.from(body).equals(Buffer.from(earlier)), key).toBe(true);
          else seen.set(key, body);
        }),
      ),
    );
  }
  for (const path of paths) {
    const identity = seen.get(`${path} null`)!;
    expect(Buffer.from(brotliDecompressSync(seen.get(`${path} br`)!)).equals(Buffer.from(identity)), path).toBe(true);
    expect(Buffer.from(gunzipSync(seen.get(`${path} gzip`)!)).equals(Buffer.from(identity)), path).toBe(true);
  }
}

/**
 * Issue 23: the docs' static bodies (Swagger UI's files, the OpenAPI document) are encoded
 * once per app, through the runtime's compressor, and the document is generated once.
 */
describe("documentation bodies made once on Node", () => {
  let counted: Awaited<ReturnType<typeof countingApp>>;
  beforeAll(async () => {
    counted = await countingApp();
  });
  afterAll(() => counted.close());

  it("compresses each body once per coding, however many requests ask, and serves the same bytes each time", async () => {
    await expectSameBytesEveryTime(counted.app, [
      ...linkedPaths(await (await counted.app.request("/docs")).text(), "/docs/assets/"),
      "/openapi.json",
    ]);
    // Three bodies (the bundle, the stylesheet, the document), each in brotli and gzip: six compressions in all.
    expect(counted.compressed.sort()).toHaveLength(6);
    expect(new Set(counted.compressed).size).toBe(6);
  });

  it("generates the OpenAPI document once per app, and hands every request the same text", async () => {
    const fresh = await createNodeServices(parseConfig(testEnvironment()));
    try {
      const other = createApp(fresh.services);
      const generate = vi.spyOn(other, "getOpenAPI31Document");
      const bodies = [];
      for (let i = 0; i < 5; i++) bodies.push(await (await other.request("/openapi.json")).text());
      bodies.push(...(await Promise.all(Array.from({ length: 5 }, async () => (await other.request("/openapi.json")).text()))));
      expect(generate).toHaveBeenCalledTimes(1);
      expect(new Set(bodies).size).toBe(1);
      expect(JSON.parse(bodies[0]!)).toMatchObject({ openapi: "3.1.0", info: { title: "JollyJet Edge API" } });
    } finally {
      await fresh.close();
    }
  });
});

describe("dashboard bodies made once on Node", () => {
  it("compresses the page, its stylesheet and its script once per coding, however many requests ask, and serves the same bytes each time", async () => {
    const counted = await countingApp();
    try {
      await expectSameBytesEveryTime(counted.app, [
        "/dashboard",
        ...linkedPaths(await (await counted.app.request("/dashboard")).text(), "/dashboard/assets/"),
      ]);
      expect(counted.compressed.sort()).toHaveLength(6);
      expect(new Set(counted.compressed).size).toBe(6);
    } finally {
      await counted.close();
    }
  });
});

describe("static bodies on the wire (Node server)", () => {
  it("sends the stored brotli and gzip bytes with their Content-Encoding and length, and 304 on If-None-Match", async () => {
    const server = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    try {
      const [bundle] = linkedPaths((await rawGet(server.port, "/docs", {})).body.toString(), "/docs/assets/").filter((path) =>
        path.endsWith(".js"),
      );
      const dashboardFiles = linkedPaths((await rawGet(server.port, "/dashboard", {})).body.toString(), "/dashboard/assets/");
      const script = dashboardFiles.find((path) => path.endsWith(".js"));
      const stylesheet = dashboardFiles.find((path) => path.endsWith(".css"));
      const bodies = [
        { path: bundle!, shows: "SwaggerUIBundle", cacheControl: IMMUTABLE },
        { path: script!, shows: "textContent", cacheControl: IMMUTABLE },
        { path: stylesheet!, shows: ".card", cacheControl: IMMUTABLE },
        { path: "/dashboard", shows: "cache dashboard", cacheControl: "public, no-cache" },
      ];
      for (const { path, shows, cacheControl } of bodies) {
        const plain = await rawGet(server.port, path, {});
        expect(plain.headers["content-encoding"], path).toBeUndefined();
        expect(plain.body.toString()).toContain(shows);
        for (const coding of ["br", "gzip"] as const) {
          const encoded = await rawGet(server.port, path, { "accept-encoding": coding });
          expect(encoded.status).toBe(200);
          expect(encoded.headers["content-encoding"]).toBe(coding);
          expect(encoded.headers.vary).toMatch(/Accept-Encoding/);
          expect(encoded.headers["cache-control"], path).toBe(cacheControl);
          expect(Number(encoded.headers["content-length"])).toBe(encoded.body.length);
          const decoded = coding === "br" ? brotliDecompressSync(encoded.body) : gunzipSync(encoded.body);
          expect(decoded.equals(plain.body)).toBe(true);
          const etag = encoded.headers.etag as string;
          const again = await rawGet(server.port, path, { "accept-encoding": coding, "if-none-match": etag });
          expect(again.status).toBe(304);
          expect(again.body.length).toBe(0);
          expect(again.headers.etag).toBe(etag);
        }
      }
    } finally {
      await server.close();
    }
  });
});
