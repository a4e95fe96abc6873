import { afterAll, describe } from "vitest";
import { consistencyScenarios } from "../shared/consistency-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("consistency runs on Node (libSQL file + redis-server)", () => {
  consistencyScenarios(harness);
});
