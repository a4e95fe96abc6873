import { describe } from "vitest";
import { httpSemanticsScenarios } from "../shared/http-semantics-scenarios";
import { createWorkerHarness } from "./harness";

describe("HTTP semantics in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  httpSemanticsScenarios(createWorkerHarness());
});
