/**
 * @module
 * Compression middleware for the self-hosted servers: hono's compress() for clients that
 * ask, except on paths whose routes serve bodies compressed once.
 */
import { compress } from "hono/compress";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { setHeader } from "../response-headers";

const ACCEPTS_COMPRESSION = /\b(gzip|deflate)\b/i;

/**
 * Self-hosted servers only (Cloudflare compresses at its edge): gzip or deflate for clients that ask, with
 * hono's compress(). Requests that do not ask skip it altogether — it reads the finished
 * response's headers, which costs every request (BENCHMARKS.md) — and every response says
 * it varies by Accept-Encoding. Paths `encodesItself` names are left alone: their routes
 * serve bodies compressed once (src/http/static-body.ts), and compressing those again for
 * every request (1.7 MB of Swagger UI for a client that asks only for deflate) is the cost
 * they avoid.
 * @example if (runtime !== "workerd") app.use(compression({ encodesItself }));
 */
export function compression(options: { encodesItself?: (path: string) => boolean } = {}) {
  const compressing = compress();
  const { encodesItself = () => false } = options;
  return createMiddleware<AppEnv>(async (c, next) => {
    setHeader(c, "Vary", "Accept-Encoding");
    if (ACCEPTS_COMPRESSION.test(c.req.header("accept-encoding") ?? "") && !encodesItself(c.req.path)) return compressing(c, next);
    await next();
  });
}
