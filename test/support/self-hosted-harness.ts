import type { ServerAdapter } from "../../src/entry/self-hosted-server";
import type { Harness, Send } from "../shared/harness";
import { createTestApp, testEnvironment } from "./node-app";
import { rawFetch } from "./raw-http";

interface SelfHostedOptions {
  /** Replaces test defaults (e.g. a Redis Cluster instead of the one redis-server). */
  environment?: Record<string, string | undefined>;
  /** What makes that Redis unreachable. */
  redisDown?: Record<string, string>;
}

/** The harness's parts common to app.request and a served app; `connect` turns an app into a Send. */
function selfHostedHarness(
  runtime: Harness["runtime"],
  origin: string,
  connect: (fetch: (request: Request, env: unknown) => Response | Promise<Response>) => Send,
  server: ServerAdapter | undefined,
  options: SelfHostedOptions,
): Harness & { closeAll(): Promise<void> } {
  const base = testEnvironment(options.environment);
  const closers: (() => Promise<void>)[] = [];
  return {
    runtime,
    origin,
    redisDown: options.redisDown ?? { REDIS_URL: "redis://127.0.0.1:1", REDIS_TIMEOUT_MS: "300" },
    clientAddressing: { TRUST_PROXY: "true" },
    from: (address) => ({ "x-forwarded-for": address }),
    async app(overrides = {}) {
      return (await this.instance(overrides)).send;
    },
    async instance(overrides = {}, extras = {}) {
      // The harness's environment again after base: its `undefined`s remove test defaults.
      const { app, services, close } = await createTestApp({ ...base, ...options.environment, ...overrides }, extras, server);
      closers.push(close);
      return { send: connect(app.fetch), services };
    },
    async closeAll() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}

/**
 * The shared scenarios' harness on Node: app instances over one libSQL file and one Redis
 * namespace, driven through `app.request` (no socket: the client is who X-Forwarded-For says).
 */
export function createNodeHarness(options: SelfHostedOptions = {}): Harness & { closeAll(): Promise<void> } {
  const origin = "http://localhost";
  return selfHostedHarness(
    "node",
    origin,
    (fetch) => async (path, init) => fetch(new Request(new URL(path, origin), init), undefined),
    undefined,
    options,
  );
}

/** Names the instance a request to a served harness is for. */
const INSTANCE_HEADER = "x-test-instance";
/** The URL a request to a served harness was addressed to, when not the harness's own origin. */
const ADDRESSED_TO_HEADER = "x-test-addressed-to";

/**
 * The shared scenarios' harness with every app behind `server`, the runtime's own HTTP server
 * on a free port, reached over real sockets (node:http: the headers the scenario wrote, the
 * bytes as they came; the runtimes' fetch adds Accept-Encoding, and Deno's always decompresses).
 * One server serves all instances of the harness (a header names the instance), so they share
 * one origin, as instances behind one load balancer do; their client address is the socket's,
 * or X-Forwarded-For's with TRUST_PROXY. A request addressed to another origin
 * (`https://api.example.com/…`) reaches the app with that URL, as through a front that
 * terminates TLS and forwards the URL it was asked for.
 */
export async function createServedHarness(
  server: ServerAdapter,
  options: SelfHostedOptions = {},
): Promise<Harness & { closeAll(): Promise<void> }> {
  const apps = new Map<string, (request: Request, env: unknown) => Response | Promise<Response>>();
  const listening = await server.listen((request, env) => {
    const app = apps.get(request.headers.get(INSTANCE_HEADER) ?? "");
    if (!app) return new Response("no such test instance", { status: 421 });
    const addressedTo = request.headers.get(ADDRESSED_TO_HEADER);
    return app(addressedTo ? new Request(addressedTo, request) : request, env);
  }, 0);
  const origin = `http://127.0.0.1:${listening.port}`;
  const harness = selfHostedHarness(
    server.runtime,
    origin,
    (fetchApp) => {
      const id = crypto.randomUUID();
      apps.set(id, fetchApp);
      return async (path, init) => {
        const request = new Request(new URL(path, origin), init);
        request.headers.set(INSTANCE_HEADER, id);
        if (new URL(request.url).origin !== origin) request.headers.set(ADDRESSED_TO_HEADER, request.url);
        return rawFetch(listening.port, request);
      };
    },
    server,
    options,
  );
  return {
    ...harness,
    async closeAll() {
      await listening.close();
      await harness.closeAll();
    },
  };
}
