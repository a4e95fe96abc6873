import { afterAll, describe } from "vitest";
import { authScenarios } from "../shared/auth-scenarios";
import { cacheScenarios } from "../shared/cache-scenarios";
import { catalogueScenarios } from "../shared/catalogue-scenarios";
import { consistencyScenarios } from "../shared/consistency-scenarios";
import { csrfScenarios } from "../shared/csrf-scenarios";
import { docsScenarios } from "../shared/docs-scenarios";
import { hostileTextScenarios } from "../shared/hostile-text-scenarios";
import { httpSemanticsScenarios } from "../shared/http-semantics-scenarios";
import { rateLimitScenarios } from "../shared/rate-limit-scenarios";
import { serverScenarios } from "../shared/server-scenarios";
import { createServedHarness } from "../support/self-hosted-harness";
import { runtimeServer } from "./runtime-server";

/**
 * Every shared scenario suite against the app behind this runtime's own HTTP server (Bun.serve,
 * Deno.serve), reached over real sockets: `npm run test:bun`, `npm run test:deno`.
 */
const harness = await createServedHarness(runtimeServer);
afterAll(() => harness.closeAll());

describe(`the app served by ${harness.runtime} (libSQL file + redis-server)`, () => {
  authScenarios(harness);
  cacheScenarios(harness);
  catalogueScenarios(harness);
  consistencyScenarios(harness);
  csrfScenarios(harness);
  docsScenarios(harness);
  hostileTextScenarios(harness);
  httpSemanticsScenarios(harness);
  rateLimitScenarios(harness);
});

serverScenarios(runtimeServer);
