import { describe } from "vitest";
import { hostileTextScenarios } from "../shared/hostile-text-scenarios";
import { createWorkerHarness } from "./harness";

describe("hostile text in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  hostileTextScenarios(createWorkerHarness());
});
