import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { startSelfHosted, type ServerAdapter } from "../../src/entry/self-hosted-server";
import { testEnvironment } from "../support/node-app";
import { rawGet } from "../support/raw-http";
import { spoofed, stableWindowSeconds } from "./harness";

/**
 * The self-hosted start-up behind a runtime's own HTTP server (Node's, Bun.serve, Deno.serve),
 * over real sockets: what only a listening server shows — the runtime /health names, the
 * one-line port-in-use error, closing, compression, and the socket's peer as the client.
 */
export function serverScenarios(server: ServerAdapter) {
  const closers: (() => Promise<void>)[] = [];
  afterAll(() => Promise.all(closers.map((close) => close())));
  const start = async (environment: Record<string, string> = {}) => {
    const started = await startSelfHosted(server, testEnvironment({ PORT: "0", ...environment }));
    closers.push(started.close);
    return started;
  };

  describe(`the server of ${server.runtime}`, () => {
    it(`/health says the runtime is ${server.runtime}`, async () => {
      const { port } = await start();
      const health = await rawGet(port, "/health", {});
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body.toString())).toMatchObject({ data: { runtime: server.runtime } });
    });

    it("a port already in use is one clear configuration error, not a stack trace", async () => {
      const first = await start();
      await expect(startSelfHosted(server, testEnvironment({ PORT: String(first.port) }))).rejects.toThrow(
        new RegExp(`^PORT ${first.port} is already in use`),
      );
    });

    // Fails by its own timeout when close() waits out keep-alive sockets that go idle after it began (65 s each).
    it("closing does not wait out keep-alive sockets whose clients have not read their responses", async () => {
      const { port, close } = await start();
      const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/api/products?limit=100`)));
      await close();
      expect(responses.every((response) => response.status === 200)).toBe(true);
    }, 20_000);

    it("gzips for clients that ask, sends plain JSON to the rest, and says it varies", async () => {
      const { port } = await start();
      const path = "/api/products?limit=50";
      const zipped = await rawGet(port, path, { "accept-encoding": "gzip" });
      expect(zipped.status).toBe(200);
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(zipped.headers.vary).toContain("Accept-Encoding");
      const plain = await rawGet(port, path, {});
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers.vary).toContain("Accept-Encoding");
      expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(JSON.parse(plain.body.toString()));
    });
  });

  describe(`TRUST_PROXY_CIDRS on ${server.runtime}: X-Forwarded-For only from the listed proxies (the peer is this test's loopback socket)`, () => {
    /** A server that admits 3 requests per client, in a window no boundary falls within. */
    async function limited(cidrs: string) {
      const { port } = await start({
        TRUST_PROXY: "true",
        TRUST_PROXY_CIDRS: cidrs,
        RATE_LIMIT_MAX: "3",
        RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
        REDIS_PREFIX: `cidr-${crypto.randomUUID().slice(0, 8)}`,
      });
      return async (forwardedFor: string) => (await rawGet(port, "/api/products?limit=1", { "x-forwarded-for": forwardedFor })).status;
    }

    it("from a trusted peer, the client is the first entry from the right outside the ranges", async () => {
      const status = await limited("127.0.0.0/8, 10.0.0.0/8");
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await status(`${spoofed()}, 203.0.113.30, 10.1.2.3`));
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await status(`${spoofed()}, 203.0.113.31, 10.1.2.3`)).toBe(200);
    });

    it("from a peer outside the ranges, X-Forwarded-For is ignored: the peer is the client", async () => {
      const status = await limited("10.0.0.0/8");
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await status(`203.0.113.${40 + i}`));
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  });
}
