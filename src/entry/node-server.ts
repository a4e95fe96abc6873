/**
 * @module
 * The API on Node's own HTTP server (@hono/node-server), with the limits a public server
 * needs. Everything else is the shared self-hosted start-up.
 */
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Config } from "../config";
import { createSelfHostedServices } from "./self-hosted-services";
import { portInUse, startSelfHosted, type ServerAdapter } from "./self-hosted-server";

/** How often a closing server drops the keep-alive sockets that went idle since. */
const CLOSE_POLL_MS = 50;

/**
 * Limits on slow and idle clients, at values public HTTP servers use (nginx's and Node's own
 * defaults are looser; a body here is at most 64 KiB). headersTimeout: a request's headers
 * must arrive within 10 s (slowloris: 408 and the socket closes); requestTimeout: a whole
 * request within 30 s; keepAliveTimeout: an idle keep-alive socket closes after 65 s, longer
 * than the 60 s idle timeout of common load balancers (AWS ALB's default), so the server never
 * closes a socket the balancer is about to reuse; the timeouts are checked every second.
 * maxConnections: past 1,000 open sockets a new one is closed at once (another instance, or
 * the balancer's retry, takes it) rather than slowing every client of the process.
 * Constants for now; NODE_MAX_CONNECTIONS and friends would make them configurable.
 */
export const NODE_SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 1_000,
} as const;

/** Node's HTTP server; the peer is the socket's remote address (none for app.request). */
export const nodeServer: ServerAdapter = {
  runtime: "node",
  peerAddress(c) {
    try {
      return getConnInfo(c).remote.address;
    } catch {
      return undefined;
    }
  },
  async listen(fetch, port) {
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const { maxConnections, ...serverOptions } = NODE_SERVER_LIMITS;
      const started = serve({ fetch, port, serverOptions }, () => resolve(started));
      started.maxConnections = maxConnections;
      started.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? portInUse(port) : error));
    });
    const address = server.address();
    return {
      port: typeof address === "object" && address ? address.port : port,
      async close() {
        // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets — also those
        // that finish their response later (else each would keep the server open for
        // keepAliveTimeout, 65 s).
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const dropIdle = () => "closeIdleConnections" in server && server.closeIdleConnections();
        dropIdle();
        const dropping = setInterval(dropIdle, CLOSE_POLL_MS);
        await stopped.finally(() => clearInterval(dropping));
      },
    };
  },
};

/** Starts the API on Node; resolves once listening (startSelfHosted). */
export const startNodeServer = (environment: Record<string, unknown>, options: { developmentDefaults?: boolean } = {}) =>
  startSelfHosted(nodeServer, environment, options);

/** The self-hosted services with Node's idea of the client (for app.request in tests, scripts and benchmarks). */
export const createNodeServices = (config: Config, extras: Parameters<typeof createSelfHostedServices>[2] = {}) =>
  createSelfHostedServices(config, nodeServer, extras);
