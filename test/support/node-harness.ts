import type { Harness, Send } from "../shared/harness";
import { createTestApp, testEnvironment } from "./node-app";

/** The shared scenarios' harness on Node: app instances over one libSQL file and one Redis namespace. */
export function createNodeHarness(): Harness & { closeAll(): Promise<void> } {
  const base = testEnvironment();
  const closers: (() => Promise<void>)[] = [];
  return {
    runtime: "node",
    origin: "http://localhost",
    redisDown: { REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "300" },
    clientAddressing: { TRUST_PROXY: "true" },
    from: (address) => ({ "x-forwarded-for": address }),
    async app(overrides = {}) {
      return (await this.instance(overrides)).send;
    },
    async instance(overrides = {}, options = {}) {
      const { app, services, close } = await createTestApp({ ...base, ...overrides }, options);
      closers.push(close);
      const send: Send = async (path, init) => app.request(path, init);
      return { send, services };
    },
    async closeAll() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}
