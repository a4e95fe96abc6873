import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { nodeServer } from "../../src/entry/node-server";
import { createSelfHostedServices, type ServerIdentity } from "../../src/entry/self-hosted-services";

/**
 * Environment for one test app: its own libSQL file, its own key prefix on the shared
 * redis-server, quiet logs. `overrides` set (or, with undefined, remove) variables.
 */
export function testEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const id = crypto.randomUUID().slice(0, 8);
  const environment: Record<string, string | undefined> = {
    DATABASE_URL: `file:${join(tmpdir(), `jollyjet-test-${id}.db`)}`,
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: `test-${id}`,
    LOG_LEVEL: "error",
    // Test apps share one client address; the rate-limit tests set their own limits.
    RATE_LIMIT_MAX: "1000000",
    RATE_LIMIT_AUTH_MAX: "1000000",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * A fully wired app on the self-hosted services (libSQL file + real Redis unless overridden),
 * knowing its client as `server` does (Node's socket by default; none through `app.request`).
 */
export async function createTestApp(
  overrides: Record<string, string | undefined> = {},
  extras: Parameters<typeof createSelfHostedServices>[2] = {},
  server: ServerIdentity = nodeServer,
) {
  const config = parseConfig(testEnvironment(overrides));
  const { services, close } = await createSelfHostedServices(config, server, extras);
  return { app: createApp(services), services, config, close };
}
