import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { applyRateLimit, rateLimitUnavailable } from "../rate-limit-headers";
import { clientIdentity } from "./caller";

/**
 * The `auth` policy for register and login, on top of `default`: per client, and for login
 * also per submitted email (hashed), so one account cannot be brute-forced from many
 * addresses. Reads the email from a copy of the body; validation still happens later.
 * @example createRoute({ ..., middleware: [authRateLimit({ perEmail: true }), jsonBody()] })
 */
export function authRateLimit(options: { perEmail: boolean }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimiter } = c.get("services");
    const identities = [await clientIdentity(c, null)];
    if (options.perEmail) {
      const email = await c.req.raw
        .clone()
        .json()
        .then((body: unknown) => (body as { email?: unknown } | null)?.email, () => undefined);
      if (typeof email === "string") identities.push(`email:${await c.get("services").hashIdentity(email.trim().toLowerCase())}`);
    }
    for (const identity of identities) {
      const decision = await rateLimiter.check("auth", identity, c.get("background")).catch((error: unknown) => error as Error);
      if (decision instanceof Error) rateLimitUnavailable(c, rateLimiter.policies.auth, decision);
      else applyRateLimit(c, decision);
    }
    await next();
  });
}
