import { connect, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { NODE_SERVER_LIMITS, nodeServer, startNodeServer } from "../../src/entry/node-server";
import { docsScenarios } from "../shared/docs-scenarios";
import { httpSemanticsScenarios } from "../shared/http-semantics-scenarios";
import { serverScenarios } from "../shared/server-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";
import { testEnvironment } from "../support/node-app";
import { rawGet } from "../support/raw-http";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("HTTP semantics on Node (libSQL file + redis-server)", () => {
  httpSemanticsScenarios(harness);
  docsScenarios(harness);
});

serverScenarios(nodeServer);

/** Connects a raw socket; resolves once connected. */
const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket)).once("error", reject);
  });

/** What the server sends on `socket` until it closes it (and after how long), or undefined if it stays open past `waitMs`. */
const untilClosed = (socket: Socket, waitMs: number) =>
  new Promise<{ text: string; afterMs: number } | undefined>((resolve) => {
    const started = Date.now();
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", () => {});
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve({ text, afterMs: Date.now() - started });
    });
  });

describe("slow and numerous clients on Node (issue 23, point 7)", () => {
  it("a client that never finishes its headers gets 408 and a closed socket within headersTimeout (10 s), not Node's 60 s", {
    timeout: 20_000,
  }, async () => {
    const server = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    try {
      const socket = await open(server.port);
      socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: a"); // ... and nothing more
      const closed = await untilClosed(socket, 15_000);
      expect(closed, "the socket stayed open").toBeDefined();
      expect(closed!.text).toMatch(/^HTTP\/1\.1 408/);
      expect(closed!.afterMs).toBeLessThan(NODE_SERVER_LIMITS.headersTimeout + 2 * NODE_SERVER_LIMITS.connectionsCheckingInterval + 500);
      // A normal client meanwhile is served, and told how long its idle connection is kept.
      const health = await rawGet(server.port, "/health", { connection: "keep-alive" });
      expect(health.status).toBe(200);
      expect(health.headers["keep-alive"]).toBe(`timeout=${NODE_SERVER_LIMITS.keepAliveTimeout / 1000}`);
    } finally {
      await server.close();
    }
  });

  it(`past maxConnections (${NODE_SERVER_LIMITS.maxConnections}) open sockets a new one is closed at once; a freed slot serves again`, {
    timeout: 20_000,
  }, async () => {
    const server = await startNodeServer({ ...testEnvironment(), PORT: "0" });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < NODE_SERVER_LIMITS.maxConnections; i += 1) held.push(await open(server.port));
      await new Promise((resolve) => setTimeout(resolve, 200)); // the server has accepted them all
      const extra = await open(server.port);
      extra.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const refused = await untilClosed(extra, 5_000);
      expect(refused, "the connection over the cap stayed open").toBeDefined();
      expect(refused!.text).toBe("");
      for (const socket of held.splice(0, 10)) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await rawGet(server.port, "/health", {})).status).toBe(200);
    } finally {
      for (const socket of held) socket.destroy();
      await server.close();
    }
  });
});
