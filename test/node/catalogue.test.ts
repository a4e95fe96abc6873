import { afterAll, describe } from "vitest";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { createNodeHarness } from "../support/node-harness";

const harness = createNodeHarness();
afterAll(() => harness.closeAll());

describe("catalogue on Node (libSQL file + redis-server)", () => {
  catalogueScenarios(harness);
});
