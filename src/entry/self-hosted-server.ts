/**
 * @module
 * One start-up for the self-hosted servers (Node, Bun, Deno): configuration, services,
 * migrations, the demo catalogue and development admin, the `listening` line, the consistency
 * schedule and graceful shutdown. A runtime supplies only its HTTP server (ServerAdapter).
 */
import { existsSync } from "node:fs";
import { Cron } from "croner";
import { createApp } from "../app";
import { ConfigError, parseConfig } from "../config";
import type { Services } from "../http/env";
import { hashPassword } from "../auth/password";
import { randomBytes, toBase64Url } from "../encoding";
import { createSelfHostedServices, type ServerIdentity } from "./self-hosted-services";

/** A listening HTTP server. */
interface HttpServer {
  /** The port it listens on (the one the system chose for port 0). */
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, and drops idle keep-alive connections. */
  close(): Promise<void>;
}

/** What a runtime's HTTP server adds to the shared start-up. */
export interface ServerAdapter extends ServerIdentity {
  /** Serves `fetch` on `port` (0: a free one); rejects with portInUse(port) when it is taken. */
  listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>, port: number): Promise<HttpServer>;
}

/** The one-line answer to a port that is taken, the same on every runtime. */
export const portInUse = (port: number) =>
  new ConfigError(`PORT ${port} is already in use: stop whatever listens there, or set PORT to another port`);

/** The development admin's email: made on a local first start when no admin is configured. */
const DEVELOPMENT_ADMIN_EMAIL = "admin@jollyjet.local";

/**
 * A local file database outside production: an empty one gets the demo catalogue, and when
 * no admin is configured a development admin is made (once: resolves to its credentials
 * then, to be shown once; later starts find it). Best effort: a failure is logged.
 */
async function prepareLocalDevelopment(
  services: Services,
  seedDemoCatalogue: () => Promise<number>,
): Promise<{ email: string; password: string } | undefined> {
  const { config, logger, users } = services;
  if (!config.DATABASE_URL.startsWith("file:") || config.NODE_ENV === "production") return undefined;
  const products = await seedDemoCatalogue().catch((error: unknown) => {
    logger.warn("demo catalogue seeding failed", { error });
    return 0;
  });
  if (products > 0) logger.info("seeded demo catalogue", { products });
  if (config.ADMIN_TOKEN || config.ADMIN_EMAIL || (await users.findByEmail(DEVELOPMENT_ADMIN_EMAIL))) return undefined;
  const password = toBase64Url(randomBytes(12));
  // Created only if absent: of several processes starting at once, one makes it and shows
  // its password (overwriting it, as ensureAdminAccount would, makes the others' shown ones wrong).
  const created = await users.create({
    email: DEVELOPMENT_ADMIN_EMAIL,
    passwordHash: await hashPassword(password),
    roles: ["user", "admin"],
  });
  return created && { email: DEVELOPMENT_ADMIN_EMAIL, password };
}

/** The consistency run on CONSISTENCY_CRON (croner; `protect` skips a tick while the previous run is still going). */
function scheduleConsistency(services: Services): Cron {
  const { config, logger, runConsistency } = services;
  try {
    return new Cron(config.CONSISTENCY_CRON, { protect: true }, async () => {
      await runConsistency("cron").catch((error: unknown) => logger.warn("consistency run failed", { error }));
    });
  } catch (error) {
    throw new ConfigError(`CONSISTENCY_CRON: not a cron expression (${(error as Error).message})`);
  }
}

/**
 * Defaults of `npm start` outside production, where variables left unset would get in a
 * developer's way: five mistyped passwords would lock them out of signing in for 15 minutes
 * (API.md's auth defaults, 5 per 900 s, still hold in production and wherever they are set).
 */
const DEVELOPMENT_ENVIRONMENT = { RATE_LIMIT_AUTH_MAX: "20", RATE_LIMIT_AUTH_WINDOW_S: "60" };

/**
 * Starts the API behind `server`; resolves once listening. Exported so tests and benchmarks
 * can start real servers.
 * @param environment the raw variables (process.env)
 * @param options.developmentDefaults `npm start`'s defaults: the development rate limits, demo catalogue and admin
 */
export async function startSelfHosted(
  server: ServerAdapter,
  environment: Record<string, unknown>,
  options: { developmentDefaults?: boolean } = {},
) {
  const config = parseConfig(
    options.developmentDefaults && environment.NODE_ENV !== "production" ? { ...DEVELOPMENT_ENVIRONMENT, ...environment } : environment,
  );
  const { services, close: closeServices, seedDemoCatalogue } = await createSelfHostedServices(config, server);
  const developmentAdmin = options.developmentDefaults ? await prepareLocalDevelopment(services, seedDemoCatalogue) : undefined;
  let consistencyJob: Cron;
  try {
    consistencyJob = scheduleConsistency(services);
  } catch (error) {
    await closeServices();
    throw error;
  }
  const app = createApp(services);
  let listening: HttpServer;
  try {
    listening = await server.listen(app.fetch, config.PORT);
  } catch (error) {
    consistencyJob.stop();
    await closeServices();
    throw error;
  }
  const url = `http://localhost:${listening.port}`;
  // What a first start needs to know, in the one log line it reads.
  services.logger.info("listening", {
    url,
    docs: `${url}/docs`,
    dashboard: `${url}/dashboard`,
    redis: services.redis.adapter,
    database: config.DATABASE_URL.split("?")[0],
    authRateLimit: `${config.RATE_LIMIT_AUTH_MAX} sign-in attempts per ${config.RATE_LIMIT_AUTH_WINDOW_S} s per client`,
    admin:
      config.ADMIN_TOKEN || config.ADMIN_EMAIL
        ? "configured (ADMIN_TOKEN / ADMIN_EMAIL)"
        : options.developmentDefaults && config.NODE_ENV !== "production" && config.DATABASE_URL.startsWith("file:")
          ? `development admin ${DEVELOPMENT_ADMIN_EMAIL} (its password was shown at the first start; set ADMIN_EMAIL/ADMIN_PASSWORD to choose one)`
          : "none: set ADMIN_TOKEN, or ADMIN_EMAIL and ADMIN_PASSWORD, for the admin endpoints",
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await listening.close();
      consistencyJob.stop();
      await closeServices();
    })());
  return { port: listening.port, services, close, developmentAdmin };
}

/**
 * The body of `npm start` and its Bun and Deno siblings: configured from process.env (and a
 * .env file beside the project, variables already set winning, as `node --env-file` would);
 * stops cleanly on SIGINT/SIGTERM; a configuration error is one line and exit code 1.
 */
export async function runSelfHosted(server: ServerAdapter): Promise<void> {
  try {
    if (existsSync(".env")) process.loadEnvFile(".env");
    const running = await startSelfHosted(server, process.env, { developmentDefaults: true });
    if (running.developmentAdmin) {
      const { email, password } = running.developmentAdmin;
      // Shown once, on the start that made it (the log redacts passwords on purpose).
      console.error(
        `jollyjet: development admin created — email ${email}, password ${password} (shown once; set ADMIN_EMAIL/ADMIN_PASSWORD to choose your own)`,
      );
    }
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        running.services.logger.info("shutting down", { signal });
        void running.close().then(() => process.exit(0));
      });
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`jollyjet: ${error.message}`);
    process.exit(1);
  }
}
