/**
 * One benchmark child process (forked by bench/run.ts: on Node with `--import tsx`, or run by
 * Bun or Deno), so the load generator's CPU is not charged to the server under test: the real
 * app behind its runtime's own server, a peer, or the consistency job. The spec arrives in
 * BENCH_SPEC (JSON); the orchestrator's requests over IPC.
 */
import { writeFileSync } from "node:fs";
import type { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createApp } from "../src/app";
import { parseConfig } from "../src/config";
import { bunServer } from "../src/entry/bun-server";
import { denoServer } from "../src/entry/deno-server";
import { nodeServer } from "../src/entry/node-server";
import { createSelfHostedServices } from "../src/entry/self-hosted-services";
import type { ServerAdapter } from "../src/entry/self-hosted-server";
import { createPeer, type PeerName, type PeerOptions } from "./peers";

/** The self-hosted servers, by the runtime a child runs on. */
export const SERVERS = { node: nodeServer, bun: bunServer, deno: denoServer } satisfies Record<string, ServerAdapter>;
export type ServerRuntime = keyof typeof SERVERS;

export type Spec =
  | { kind: "app"; runtime: ServerRuntime; env: Record<string, string>; dbLatencyMs: number }
  | { kind: "peer"; peer: PeerName; options: PeerOptions }
  | { kind: "consistency"; env: Record<string, string>; products: number };

export interface Stats {
  /** HTTP requests the server received. */
  served: number;
  /** process.cpuUsage(), user + system, µs. */
  cpuUs: number;
  /** process.memoryUsage().rss, bytes. */
  rssBytes: number;
  /** The app's transport: send() calls (round trips) and the commands in them. */
  roundTrips: number;
  commands: number;
  /** ProductRepository.findById/findByIds calls. */
  loads: number;
}

export interface ConsistencyResult {
  products: number;
  createSeconds: number;
  runSeconds: number;
  report: {
    scanned: number;
    consistent: number;
    stale: number;
    orphaned: number;
    corrupt: number;
    repaired: number;
    errors: number;
    complete: boolean;
  };
}

export type Request = { type: "stats" | "profile-start" | "exit" } | { type: "profile-stop"; file: string };
export type ToChild = Request & { id: number };
export type FromChild =
  | { type: "ready"; port: number; result?: ConsistencyResult }
  | { type: "failed"; error: string }
  | { type: "reply"; id: number; stats?: Stats; error?: string };

type Extras = NonNullable<Parameters<typeof createSelfHostedServices>[2]>;
type Transport = Parameters<NonNullable<Extras["wrapRedis"]>>[0];
type Repository = Parameters<NonNullable<Extras["wrapProducts"]>>[0];
const LOADS: (keyof Repository)[] = ["findById", "findByIds"];

const counts = { served: 0, roundTrips: 0, commands: 0, loads: 0 };
const send = (message: FromChild) => process.send?.(message);
process.on("disconnect", () => process.exit(0));

const countRedis = (inner: Transport): Transport => ({
  adapter: inner.adapter,
  send(commands, deadline) {
    counts.roundTrips += 1;
    counts.commands += commands.length;
    return inner.send(commands, deadline);
  },
  close: () => inner.close(),
});

/** Counts database loads, each delayed by `latencyMs` (a remote database's round trip). */
const countLoads = (latencyMs: number) => (repository: Repository) =>
  new Proxy(repository, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (!LOADS.includes(name as keyof Repository) || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        counts.loads += 1;
        if (latencyMs > 0) await sleep(latencyMs);
        return value.apply(target, args);
      };
    },
  });

const appServices = (env: Record<string, string>, latencyMs = 0, server: ServerAdapter = nodeServer) =>
  createSelfHostedServices(parseConfig(env), server, { wrapRedis: countRedis, wrapProducts: countLoads(latencyMs) });

/** Creates `products` products through the app's own POST, then times one consistency run. */
async function consistency(spec: Extract<Spec, { kind: "consistency" }>): Promise<void> {
  const { services, close } = await appServices(spec.env);
  const app = createApp(services);
  const started = performance.now();
  for (let next = 0; next < spec.products; ) {
    await Promise.all(
      Array.from({ length: Math.min(25, spec.products - next) }, async () => {
        const i = next++;
        const body = {
          name: `Bench product ${i}`,
          description: `Product ${i}, created for the consistency run.`,
          price: (i % 9999) / 100,
          stock: i % 500,
          category: `Category ${i % 12}`,
        };
        const res = await app.request("/api/products", {
          method: "POST",
          headers: { authorization: `Bearer ${spec.env.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        if (res.status !== 201) throw new Error(`POST /api/products: ${res.status} ${await res.text()}`);
      }),
    );
  }
  const createSeconds = (performance.now() - started) / 1000;
  await sleep(500); // background write-throughs
  const t = performance.now();
  const report = await services.runConsistency("manual");
  const runSeconds = (performance.now() - t) / 1000;
  await close();
  const { scanned, consistent, stale, orphaned, corrupt, repaired, errors, complete } = report;
  send({
    type: "ready",
    port: 0,
    result: {
      products: spec.products,
      createSeconds,
      runSeconds,
      report: { scanned, consistent, stale, orphaned, corrupt, repaired, errors, complete },
    },
  });
}

/** A listening server: its port, and how to stop it and what it holds. */
interface Running {
  port: number;
  close(): Promise<unknown>;
}

async function start(spec: Exclude<Spec, { kind: "consistency" }>): Promise<Running> {
  if (spec.kind === "peer") {
    const { server, redis } = createPeer(spec.peer, spec.options);
    server.on("request", () => (counts.served += 1));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      port: (server.address() as AddressInfo).port,
      async close() {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        await closed;
        await redis.quit();
      },
    };
  }
  // The real app, wired as the runtime's entry wires it (self-hosted services → createApp → its
  // server adapter, the same limits), minus the cron.
  const server = SERVERS[spec.runtime];
  const { services, close } = await appServices(spec.env, spec.dbLatencyMs, server);
  const app = createApp(services);
  const listening = await server.listen((request, env) => {
    counts.served += 1;
    return app.fetch(request, env);
  }, 0);
  return {
    port: listening.port,
    async close() {
      await listening.close();
      await close();
    },
  };
}

let running: Running | undefined;
let profiler: Session | undefined;

async function handle(message: ToChild): Promise<Stats | undefined> {
  switch (message.type) {
    case "stats": {
      const cpu = process.cpuUsage();
      return { ...counts, cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss };
    }
    case "profile-start":
      // Loaded here: only Node children are profiled (Bun has no node:inspector).
      profiler = new (await import("node:inspector/promises")).Session();
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.setSamplingInterval", { interval: 250 });
      await profiler.post("Profiler.start");
      return undefined;
    case "profile-stop": {
      const { profile } = await profiler!.post("Profiler.stop");
      profiler!.disconnect();
      writeFileSync(message.file, JSON.stringify(profile));
      return undefined;
    }
    case "exit":
      await running?.close();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on("message", (message: ToChild) => {
  handle(message).then(
    (stats) => send({ type: "reply", id: message.id, ...(stats ? { stats } : {}) }),
    (error: unknown) => send({ type: "reply", id: message.id, error: String((error as Error)?.stack ?? error) }),
  );
});

try {
  const spec = JSON.parse(process.env.BENCH_SPEC ?? "null") as Spec | null;
  if (!spec) throw new Error("bench/server.ts is started by bench/run.ts (BENCH_SPEC is missing)");
  if (spec.kind === "consistency") await consistency(spec);
  else {
    running = await start(spec);
    send({ type: "ready", port: running.port });
  }
} catch (error) {
  send({ type: "failed", error: String((error as Error)?.stack ?? error) });
  setImmediate(() => process.exit(1));
}
