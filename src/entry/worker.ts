import { createClient } from "@libsql/client/web";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql/web";
import { createApp, type App } from "../app";
import { workerDocsAssets } from "./docs-assets-worker";
import { ConfigError, parseConfig } from "../config";
import { AppError } from "../errors";
import type { AppDatabase } from "../db/database";
import * as schema from "../db/schema";
import type { Services } from "../http/env";
import { createUpstashTransport } from "../redis/adapters/upstash";
import { buildServices, prepareServices } from "../services";

/** Bindings from wrangler.toml / `.dev.vars` / secrets: the D1 database plus string variables. */
export interface WorkerEnv {
  DB?: D1Database;
  [variable: string]: unknown;
}

type Isolate = { ok: true; app: App; services: Services; ready: () => Promise<void> } | { ok: false; error: ConfigError };

/** Runs `task` once; a failure is forgotten so the next request tries again. */
function onceUntilSuccess(task: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () =>
    (pending ??= task().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

function openDatabase(env: WorkerEnv, libsqlUrl: string | undefined, authToken: string | undefined): AppDatabase {
  if (libsqlUrl) return drizzleLibsql(createClient({ url: libsqlUrl, authToken }), { schema });
  if (env.DB) return drizzleD1(env.DB, { schema });
  throw new ConfigError("DB: bind a D1 database as DB in wrangler.toml, or set LIBSQL_URL");
}

/**
 * The Worker's services from its bindings: the Upstash adapter, D1 (or libSQL over HTTP).
 * @throws ConfigError naming what is missing or wrong.
 */
export function createWorkerServices(env: WorkerEnv, extras: Pick<Parameters<typeof buildServices>[0], "wrapProducts" | "wrapRedis"> = {}): Services {
  const config = parseConfig(env);
  if (config.redis.adapter !== "upstash") {
    throw new ConfigError(
      "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required on Workers (REDIS_URL and the embedded store are for Node)",
    );
  }
  const db = openDatabase(env, config.LIBSQL_URL, config.DATABASE_AUTH_TOKEN);
  return buildServices({
    config,
    runtime: "workerd",
    db,
    redisTransport: createUpstashTransport({ ...config.redis, timeoutMs: config.REDIS_TIMEOUT_MS }),
    // Set by Cloudflare's edge for every request; a client cannot forge it there.
    clientAddress: (c) => c.req.header("cf-connecting-ip"),
    docsAssets: workerDocsAssets,
    // A cron invocation may make about 1,000 subrequests; a batch costs four (SCAN, MGET, the
    // D1 query, the repairs pipeline), so 200 batches of 500 keys stay well inside it.
    consistencyMaxBatches: 200,
    ...extras,
  });
}

function startIsolate(env: WorkerEnv): Isolate {
  try {
    const services = createWorkerServices(env);
    return { ok: true, app: createApp(services), services, ready: onceUntilSuccess(() => prepareServices(services)) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    throw error;
  }
}

// Bindings are fixed for the life of an isolate, so services are built once per env object.
const isolates = new WeakMap<WorkerEnv, Isolate>();

function isolateFor(env: WorkerEnv): Isolate {
  let isolate = isolates.get(env);
  if (!isolate) {
    isolate = startIsolate(env);
    isolates.set(env, isolate);
  }
  return isolate;
}

function badEnvironment(error: ConfigError): Response {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", message: error.message }));
  return Response.json(
    { status: "error", code: "BAD_ENVIRONMENT", message: error.message, requestId: crypto.randomUUID() },
    { status: 500 },
  );
}

export default {
  async fetch(request, env, ctx) {
    const isolate = isolateFor(env);
    if (!isolate.ok) return badEnvironment(isolate.error);
    await isolate.ready();
    return isolate.app.fetch(request, env, ctx);
  },

  async scheduled(controller, env, _ctx) {
    const isolate = isolateFor(env);
    if (!isolate.ok) throw isolate.error;
    await isolate.ready();
    const { logger, runConsistency } = isolate.services;
    logger.info("scheduled event", { cron: controller.cron, scheduledTime: new Date(controller.scheduledTime).toISOString() });
    await runConsistency("cron").catch((error: unknown) => {
      // Another run holding the lock is normal (a slow run overlapping the next tick).
      if (error instanceof AppError && error.status === 409) logger.info("consistency run skipped: another is in progress");
      else throw error;
    });
  },
} satisfies ExportedHandler<WorkerEnv>;
