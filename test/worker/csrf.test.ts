import { describe } from "vitest";
import { csrfScenarios } from "../shared/csrf-scenarios";
import { createWorkerHarness } from "./harness";

describe("CSRF, CORS and token MACs in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  csrfScenarios(createWorkerHarness());
});
