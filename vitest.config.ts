import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // One at a time: they stop Redis, load the machine and measure timings.
          fileParallelism: false,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/entry/worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The read replica of D1's stand-in (test/worker/lagging-d1.ts); DB comes from wrangler.toml.
              d1Databases: ["REPLICA_DB"],
              bindings: {
                UPSTASH_REDIS_REST_URL: inject("upstashUrl"),
                UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
                TEST_MIGRATIONS: migrations,
                // Upstash Global's stand-in and its replication control (test/support/global-setup.ts).
                REPLICATED_UPSTASH_URL: inject("replicatedUpstashUrl"),
                REPLICATED_UPSTASH_TOKEN: inject("replicatedUpstashToken"),
                REPLICATION_CONTROL_URL: inject("replicationControlUrl"),
                // Test requests share one client address; the rate-limit tests set their own limits.
                RATE_LIMIT_MAX: "1000000",
                RATE_LIMIT_AUTH_MAX: "1000000",
                // 50 concurrent PBKDF2 hashes keep workerd's one thread busy for seconds; do not time Redis out meanwhile.
                REDIS_TIMEOUT_MS: "5000",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts"],
          setupFiles: ["test/worker/apply-migrations.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
