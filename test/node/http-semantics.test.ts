import { gunzipSync } from "node:zlib";
import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { docsScenarios } from "../shared/docs-scenarios";
import { httpSemanticsScenarios } from "../shared/http-semantics-scenarios";
import { createNodeHarness } from "../support/node-harness";
import { testEnvironment } from "../support/node-app";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("HTTP semantics on Node (libSQL file + redis-server)", () => {
  httpSemanticsScenarios(harness);
  docsScenarios(harness);
});

/** A raw request, so the test sees the bytes on the wire (fetch would decompress them). */
function get(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on("error", reject)
      .end();
  });
}

describe("starting on Node", () => {
  it("a port already in use is one clear configuration error, not a stack trace", async () => {
    const first = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    try {
      await expect(startNodeServer({ ...testEnvironment(), PORT: String(first.port) })).rejects.toThrow(new RegExp(`PORT ${first.port} is already in use`));
    } finally {
      await first.close();
    }
  });
});

describe("compression on Node", () => {
  it("gzips for clients that ask, sends plain JSON to the rest, and says it varies", async () => {
    const server = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    try {
      const path = "/api/products?limit=50";
      const zipped = await get(server.port, path, { "accept-encoding": "gzip" });
      expect(zipped.status).toBe(200);
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(zipped.headers["vary"]).toContain("Accept-Encoding");
      const plain = await get(server.port, path, {});
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers["vary"]).toContain("Accept-Encoding");
      expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(JSON.parse(plain.body.toString()));
    } finally {
      await server.close();
    }
  });
});
