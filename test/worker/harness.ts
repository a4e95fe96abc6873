import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createApp } from "../../src/app";
import worker, { createWorkerServices, type WorkerEnv } from "../../src/entry/worker";
import { prepareServices } from "../../src/services";
import type { Harness, Instance, Send } from "../shared/harness";

export const ORIGIN = "https://jollyjet.test";
export const workerEnv = env as unknown as WorkerEnv;

/** Sends each request through `handle` with a fresh execution context, waiting for its background work. */
function sender(
  handle: (request: Request, environment: WorkerEnv, ctx: ExecutionContext) => Promise<Response>,
  environment: WorkerEnv,
): Send {
  return async (path, init) => {
    const ctx = createExecutionContext();
    const url = path.startsWith("http") ? path : `${ORIGIN}${path}`;
    const response = await handle(new Request(url, init), environment, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

/**
 * Services and an app over the Worker's bindings plus `overrides`, which may be bindings of
 * any kind (a D1 database standing in for a replicated one).
 */
export async function workerInstance(
  overrides: Partial<WorkerEnv> = {},
  options: Parameters<typeof createWorkerServices>[1] = {},
): Promise<Instance> {
  const environment: WorkerEnv = { ...workerEnv, ...overrides };
  const services = createWorkerServices(environment, options);
  await prepareServices(services);
  const app = createApp(services);
  return { send: sender(async (request, bindings, ctx) => app.fetch(request, bindings, ctx), environment), services };
}

/**
 * The shared scenarios' harness in workerd: every app is the Worker's own fetch handler
 * with the bindings of wrangler.toml (D1) plus `overrides`; a new env object is a new
 * isolate's worth of services over the same D1 and Redis. Background work (waitUntil)
 * finishes before the response is handed back, as it would before the next request.
 */
export function createWorkerHarness(): Harness {
  return {
    runtime: "workerd",
    origin: ORIGIN,
    redisDown: { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", REDIS_TIMEOUT_MS: "300" },
    clientAddressing: {},
    from: (address) => ({ "cf-connecting-ip": address }),
    async app(overrides = {}) {
      return sender((request, environment, ctx) => worker.fetch(request as Parameters<typeof worker.fetch>[0], environment, ctx), {
        ...workerEnv,
        ...overrides,
      });
    },
    instance: workerInstance,
  };
}
