import { afterAll, describe } from "vitest";
import { cacheScenarios } from "../shared/cache-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("caching on Node (libSQL file + redis-server)", () => {
  cacheScenarios(harness);
});
