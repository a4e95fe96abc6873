import { describe } from "vitest";
import { cacheScenarios } from "../shared/cache-scenarios";
import { createWorkerHarness } from "./harness";

describe("caching in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  cacheScenarios(createWorkerHarness());
});
