import { defineConfig } from "vitest/config";

/**
 * The shared scenarios against the app served by the runtime vitest itself runs on:
 * `bun --bun node_modules/vitest/vitest.mjs run -c vitest.served.config.ts` (npm run test:bun),
 * `deno run -A node_modules/vitest/vitest.mjs run -c vitest.served.config.ts` (npm run test:deno).
 */
export default defineConfig({
  test: {
    name: "served",
    include: ["test/served/**/*.test.ts"],
    globalSetup: ["test/support/served-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Under Bun, vitest's default-export interop turns zod's namespace import into undefined
    // (`undefined is not an object (evaluating 'z.object')`): a known vitest-on-Bun issue.
    ...("Bun" in globalThis ? { deps: { interopDefault: false } } : {}),
  },
});
