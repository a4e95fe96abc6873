import { afterAll, describe } from "vitest";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { createNodeHarness } from "../support/self-hosted-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("catalogue on Node (libSQL file + redis-server)", () => {
  catalogueScenarios(harness);
});
