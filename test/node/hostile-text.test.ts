import { afterAll, describe } from "vitest";
import { hostileTextScenarios } from "../shared/hostile-text-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("hostile text on Node (libSQL file + redis-server)", () => {
  hostileTextScenarios(harness);
});
