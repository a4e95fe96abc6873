import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { createNodeServices, startNodeServer } from "../../src/entry/node-server";
import type { Compressor } from "../../src/http/docs-assets";
import { testEnvironment } from "../support/node-app";
import { rawGet } from "../support/raw-http";


const ENCODINGS = ["br", "gzip", "gzip, deflate, br", "deflate", ""];

/**
 * Issue 23: the docs' static bodies (Swagger UI's files, the OpenAPI document) are encoded
 * once per app, through the runtime's compressor, and the document is generated once.
 */
describe("documentation bodies made once on Node", () => {
  let app: ReturnType<typeof createApp>;
  let close: () => Promise<void>;
  const compressed: string[] = [];
  beforeAll(async () => {
    const created = await createNodeServices(parseConfig(testEnvironment()));
    close = created.close;
    const { docsAssets } = created.services;
    const compress: Compressor | undefined = docsAssets.compress;
    // Counts every compression the app asks for (by coding and input size).
    const counting: Compressor = (body, coding) => {
      compressed.push(`${coding}:${body.length}`);
      return compress!(body, coding);
    };
    app = createApp({ ...created.services, docsAssets: { ...docsAssets, compress: compress && counting } });
  });
  afterAll(() => close());

  const paths = async () => [...[...(await (await app.request("/docs")).text()).matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((match) => match[1]!), "/openapi.json"];

  it("compresses each body once per coding, however many requests ask, and serves the same bytes each time", async () => {
    const seen = new Map<string, Uint8Array>();
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        (await paths()).flatMap((path) =>
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
    // Three bodies (the bundle, the stylesheet, the document), each in brotli and gzip: six compressions in all.
    expect(compressed.sort()).toHaveLength(6);
    expect(new Set(compressed).size).toBe(6);
    for (const path of await paths()) {
      const identity = seen.get(`${path} null`)!;
      expect(Buffer.from(brotliDecompressSync(seen.get(`${path} br`)!)).equals(Buffer.from(identity)), path).toBe(true);
      expect(Buffer.from(gunzipSync(seen.get(`${path} gzip`)!)).equals(Buffer.from(identity)), path).toBe(true);
    }
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

describe("documentation bodies on the wire (Node server)", () => {
  it("sends the stored brotli and gzip bytes with their Content-Encoding and length, and 304 on If-None-Match", async () => {
    const server = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    try {
      const html = (await rawGet(server.port, "/docs", {})).body.toString();
      const bundle = /src="(\/docs\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const plain = await rawGet(server.port, bundle, {});
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.body.toString()).toContain("SwaggerUIBundle");
      for (const coding of ["br", "gzip"] as const) {
        const encoded = await rawGet(server.port, bundle, { "accept-encoding": coding });
        expect(encoded.status).toBe(200);
        expect(encoded.headers["content-encoding"]).toBe(coding);
        expect(encoded.headers["vary"]).toMatch(/Accept-Encoding/);
        expect(encoded.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
        expect(Number(encoded.headers["content-length"])).toBe(encoded.body.length);
        const decoded = coding === "br" ? brotliDecompressSync(encoded.body) : gunzipSync(encoded.body);
        expect(decoded.equals(plain.body)).toBe(true);
        const etag = encoded.headers["etag"] as string;
        const again = await rawGet(server.port, bundle, { "accept-encoding": coding, "if-none-match": etag });
        expect(again.status).toBe(304);
        expect(again.body.length).toBe(0);
        expect(again.headers["etag"]).toBe(etag);
      }
    } finally {
      await server.close();
    }
  });
});
