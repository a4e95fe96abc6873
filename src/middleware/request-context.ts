import { createMiddleware } from "hono/factory";
import { backgroundRunner } from "../background";
import type { AppEnv, Services } from "../env";

/**
 * Puts the services, a request-scoped logger (every line carries the request id) and a
 * `background` runner on the context. Background work goes to `waitUntil` on Workers; on
 * Node it runs un-awaited, and on both its failure is logged, never unhandled.
 * @example app.use(requestContext(services)); // then c.var.background("metrics", promise)
 */
export function requestContext(services: Services) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const logger = services.logger.child({ requestId: c.get("requestId") });
    let waitUntil: ((work: Promise<unknown>) => void) | undefined;
    try {
      const executionCtx = c.executionCtx;
      waitUntil = (work) => executionCtx.waitUntil(work);
    } catch {
      // Node: there is no execution context; the process outlives the response anyway.
    }
    c.set("services", services);
    c.set("logger", logger);
    c.set("background", backgroundRunner(logger, waitUntil));
    const started = Date.now();
    await next();
    services.metrics.flushIfDue(c.var.background);
    services.cache.settleOwed(c.var.background);
    // One access line per request (query strings are left out: they may carry search text).
    logger.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Date.now() - started });
  });
}
