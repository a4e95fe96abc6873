import { describe } from "vitest";
import { rateLimitScenarios } from "../shared/rate-limit-scenarios";
import { createWorkerHarness } from "./harness";

describe("rate limits in workerd (Upstash adapter via the local REST endpoint)", () => {
  rateLimitScenarios(createWorkerHarness());
});
