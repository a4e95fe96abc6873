import { createMiddleware } from "hono/factory";
import { setSessionCookie } from "../auth/cookie";
import type { Principal } from "../auth/principal";
import type { AppEnv } from "../env";

/**
 * Resolves the caller from the credentials and session that redisPrefetch() read, and puts
 * the `principal` (or null) on the context. When Redis could not be asked,
 * `sessionsUnavailable` is set instead, so guarded routes answer 503 while public ones
 * carry on. A session that is due gets its sliding expiry extended in the background (and
 * its cookie re-issued).
 * @example app.use("/api/*", redisPrefetch(), rateLimit(), authenticate()); // then requireRole(...)
 */
export function authenticate() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("principal", null);
    c.set("sessionsUnavailable", false);
    const { credentials, session: prefetched } = c.get("prefetch");
    if (credentials === null) return next();
    if (credentials.operator) {
      c.set("principal", { kind: "operator" });
      return next();
    }

    const { sessions } = c.get("services");
    let principal: Principal | null = null;
    try {
      const session = await sessions.find(credentials.token, prefetched);
      if (session) {
        const user = { id: session.userId, email: session.email, roles: session.roles };
        principal = { kind: "user", user, session, token: credentials.token, via: credentials.via };
      }
    } catch (error) {
      c.get("logger").warn("session lookup failed", { error });
      c.set("sessionsUnavailable", true);
    }
    c.set("principal", principal);

    if (principal?.kind === "user" && sessions.isDueForTouch(principal.session)) {
      c.get("background")("session touch", sessions.touch(principal.session));
      if (principal.via === "cookie") setSessionCookie(c, credentials.token);
    }
    await next();
  });
}
