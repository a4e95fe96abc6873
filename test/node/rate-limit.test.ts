import { afterAll, describe } from "vitest";
import { rateLimitScenarios } from "../shared/rate-limit-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("rate limits on Node (redis-server)", () => {
  rateLimitScenarios(harness);
});
