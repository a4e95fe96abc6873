import { describe } from "vitest";
import { authScenarios } from "../shared/auth-scenarios";
import { createWorkerHarness } from "./harness";

describe("accounts and sessions in workerd (D1 + Upstash adapter via the local REST endpoint)", () => {
  authScenarios(createWorkerHarness());
});
