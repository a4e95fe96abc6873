/**
 * @module
 * The first middleware of every request: what the rest of the request takes from the context
 * (services, request id, gathered headers, logger, background runner), and at its end the
 * headers applied, the metrics and owed write-throughs sent, and the access log line.
 */
import { createMiddleware } from "hono/factory";
import { backgroundRunner } from "../../background";
import { redisFailureLevel } from "../../redis/port";
import type { AppEnv, Services } from "../env";
import { applyHeaders, startHeaders } from "../response-headers";

/**
 * Puts the services, the request id (a sane incoming X-Request-Id, else a new one), the
 * response headers gathered so far (src/http/response-headers.ts), a request-scoped logger
 * (every line carries the request id) and a `background` runner on the context. Background
 * work goes to `waitUntil` on Workers; on a self-hosted server (Node, Bun, Deno) it runs un-awaited, and on both its failure
 * is logged, never unhandled.
 * @example app.use(requestContext(services)); // then c.get("background")("metrics", promise)
 */
export function requestContext(services: Services) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { requestId, headers } = startHeaders(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("responseHeaders", headers);
    c.set("headersApplied", false);
    const logger = services.logger.child({ requestId });
    // Workers hand every request an execution context; on a self-hosted server there is none (asking for it
    // throws, which costs) and the process outlives the response anyway.
    const executionCtx = services.runtime === "workerd" ? c.executionCtx : undefined;
    const background = backgroundRunner(logger, executionCtx && ((work) => executionCtx.waitUntil(work)), redisFailureLevel);
    c.set("services", services);
    c.set("logger", logger);
    c.set("background", background);
    const started = Date.now();
    await next();
    applyHeaders(c);
    services.metrics.flushIfDue(background);
    services.cache.settleOwed(background);
    // One access line per request (query strings are left out: they may carry search text).
    if (logger.enabled("info")) {
      logger.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Date.now() - started });
    }
  });
}
