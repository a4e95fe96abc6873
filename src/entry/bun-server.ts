/**
 * @module
 * The API on Bun's own HTTP server (`Bun.serve`); everything else is the shared self-hosted
 * start-up.
 */
import { portInUse, type ServerAdapter } from "./self-hosted-server";

/**
 * The part of Bun's API used here, declared by hand: @types/bun's globals (URL, fetch, …)
 * clash with @types/node's and @cloudflare/workers-types' in this project's one tsconfig.
 */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  /** Without `true`, in-flight requests finish and idle connections close. */
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
};

/** What this server hands `app.fetch`: the request's socket peer, read as it arrives. */
interface BunBindings {
  remoteAddress: string | undefined;
}

/**
 * A connection with no bytes either way for 65 s closes: longer than the 60 s idle timeout of
 * common load balancers, as on Node (NODE_SERVER_LIMITS). Bun has no separate header or
 * request timeout and no connection cap; put such a proxy in front of it on the open internet.
 */
const IDLE_TIMEOUT_S = 65;

/** Bun's HTTP server, on every interface (IPv4 and IPv6, as Node's); the peer is `server.requestIP`. */
export const bunServer: ServerAdapter = {
  runtime: "bun",
  peerAddress: (c) => (c.env as Partial<BunBindings> | undefined)?.remoteAddress,
  async listen(fetch, port) {
    let server: BunServer;
    try {
      server = Bun.serve({
        port,
        hostname: "::",
        idleTimeout: IDLE_TIMEOUT_S,
        fetch: (request, bun) => fetch(request, { remoteAddress: bun.requestIP(request)?.address } satisfies BunBindings),
      });
    } catch (error) {
      throw (error as { code?: unknown }).code === "EADDRINUSE" ? portInUse(port) : error;
    }
    return { port: server.port, close: () => server.stop() };
  },
};
