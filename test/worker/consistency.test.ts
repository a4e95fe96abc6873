import { describe } from "vitest";
import { consistencyScenarios } from "../shared/consistency-scenarios";
import { createWorkerHarness } from "./harness";

describe("consistency runs in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  consistencyScenarios(createWorkerHarness());
});
