import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../src/entry/node-server";
import { testEnvironment } from "../support/node-app";
import { startRedisServer, type RedisServerHandle } from "../support/redis-server";

const run = promisify(execFile);
const ADMIN_TOKEN = "verify-scripts-admin-token";

/** Runs a verification script against `baseUrl`; resolves to its exit code and output. */
async function script(name: string, baseUrl: string) {
  try {
    const { stdout } = await run("bash", [`scripts/${name}`], {
      env: { ...process.env, BASE_URL: baseUrl, ADMIN_TOKEN },
      timeout: 120_000,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe("the verification scripts, against a server this test starts", () => {
  let redis: RedisServerHandle;
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let baseUrl: string;
  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startNodeServer(
      testEnvironment({ PORT: "0", REDIS_URL: redis.url, ADMIN_TOKEN, RATE_LIMIT_MAX: "30", REDIS_TIMEOUT_MS: "300" }),
    );
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  // verify-redis.sh first: it spends a throwaway user's rate-limit budget, never this client's, so the endpoint walk after it still passes.
  it.each(["verify-redis.sh", "test-redis-endpoints.sh"])(
    "%s passes every check against a healthy server, run one after the other",
    async (name) => {
      const { code, output } = await script(name, baseUrl);
      expect(output).not.toContain("FAIL");
      expect(output).toMatch(/\d+ checks, 0 failed/);
      expect(code).toBe(0);
    },
    120_000,
  );

  it("both fail, naming the check, when Redis is stopped", async () => {
    await redis.stop();
    try {
      for (const name of ["verify-redis.sh", "test-redis-endpoints.sh"]) {
        const { code, output } = await script(name, baseUrl);
        expect(code).not.toBe(0);
        expect(output).toMatch(/FAIL {2}Redis (is|status) up/);
      }
    } finally {
      await redis.start();
    }
  }, 120_000);
});
