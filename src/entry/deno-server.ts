/**
 * @module
 * The API on Deno's own HTTP server (`Deno.serve`); everything else is the shared self-hosted
 * start-up. The database is libSQL's native module (Deno's permission `ffi`); where native
 * modules cannot load (Deno Deploy), a remote database through `@libsql/client/web` would be
 * the way, which this entry does not wire.
 */
import { portInUse, type ServerAdapter } from "./self-hosted-server";

/** What this server hands `app.fetch`: the request's socket peer, from the handler's info. */
interface DenoBindings {
  remoteAddress: string | undefined;
}

/**
 * Deno's HTTP server, on every interface (IPv4 and IPv6, as Node's); the peer is
 * `info.remoteAddr`. Deno's server has no configurable header, request or idle timeouts and
 * no connection cap; put a proxy that has them in front of it on the open internet.
 */
export const denoServer: ServerAdapter = {
  runtime: "deno",
  peerAddress: (c) => (c.env as Partial<DenoBindings> | undefined)?.remoteAddress,
  async listen(fetch, port) {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({ port, hostname: "::", onListen: () => {} }, (request, info) =>
        fetch(request, { remoteAddress: info.remoteAddr.hostname } satisfies DenoBindings),
      );
    } catch (error) {
      throw error instanceof Deno.errors.AddrInUse ? portInUse(port) : error;
    }
    // Graceful: in-flight requests finish, idle connections close.
    return { port: server.addr.port, close: () => server.shutdown() };
  },
};
