import { describe } from "vitest";
import { docsScenarios } from "../shared/docs-scenarios";
import { httpSemanticsScenarios } from "../shared/http-semantics-scenarios";
import { createWorkerHarness } from "./harness";

describe("HTTP semantics in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  const harness = createWorkerHarness();
  httpSemanticsScenarios(harness);
  docsScenarios(harness);
});
