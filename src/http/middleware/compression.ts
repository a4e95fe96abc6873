import { compress } from "hono/compress";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { setHeader } from "../response-headers";

const ACCEPTS_COMPRESSION = /\b(gzip|deflate)\b/i;

/**
 * Node only (Cloudflare compresses at its edge): gzip or deflate for clients that ask, with
 * hono's compress(). Requests that do not ask skip it altogether — it reads the finished
 * response's headers, which costs every request (BENCHMARKS.md) — and every response says
 * it varies by Accept-Encoding.
 * @example if (runtime === "node") app.use(compression());
 */
export function compression() {
  const compressing = compress();
  return createMiddleware<AppEnv>(async (c, next) => {
    setHeader(c, "Vary", "Accept-Encoding");
    if (ACCEPTS_COMPRESSION.test(c.req.header("accept-encoding") ?? "")) return compressing(c, next);
    await next();
  });
}
