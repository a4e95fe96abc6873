/**
 * @module
 * Content-Type middleware for routes that take a JSON body.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * For routes that take a JSON body: any other (or no) Content-Type is 415 before the body
 * is read, so a form post or text body never reaches validation.
 * @example createRoute({ method: "post", ..., middleware: [jsonBody()] })
 */
export function jsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new AppError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
    }
    await next();
  });
}
