import { describe } from "vitest";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { createWorkerHarness } from "./harness";

describe("catalogue in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  catalogueScenarios(createWorkerHarness());
});
