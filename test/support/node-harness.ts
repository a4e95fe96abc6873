import type { Harness, Send } from "../shared/harness";
import { createTestApp, testEnvironment } from "./node-app";

/**
 * The shared scenarios' harness on Node: app instances over one libSQL file and one Redis
 * namespace. `environment` replaces test defaults (e.g. a Redis Cluster instead of the one
 * redis-server), `redisDown` what makes that Redis unreachable.
 */
export function createNodeHarness(
  options: { environment?: Record<string, string | undefined>; redisDown?: Record<string, string> } = {},
): Harness & { closeAll(): Promise<void> } {
  const base = testEnvironment(options.environment);
  const closers: (() => Promise<void>)[] = [];
  return {
    runtime: "node",
    origin: "http://localhost",
    redisDown: options.redisDown ?? { REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "300" },
    clientAddressing: { TRUST_PROXY: "true" },
    from: (address) => ({ "x-forwarded-for": address }),
    async app(overrides = {}) {
      return (await this.instance(overrides)).send;
    },
    async instance(overrides = {}, extras = {}) {
      // The harness's environment again after base: its `undefined`s remove test defaults.
      const { app, services, close } = await createTestApp({ ...base, ...options.environment, ...overrides }, extras);
      closers.push(close);
      const send: Send = async (path, init) => app.request(path, init);
      return { send, services };
    },
    async closeAll() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}
