import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { setSessionCookie, SESSION_COOKIE } from "../auth/cookie";
import { constantTimeEqual, sha256 } from "../auth/encoding";
import type { Principal } from "../auth/principal";
import type { AppEnv } from "../env";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function isAdminToken(candidate: string, adminToken: string | undefined): Promise<boolean> {
  // Comparing digests keeps the comparison constant-time regardless of the candidate's length.
  return adminToken !== undefined && constantTimeEqual(await sha256(candidate), await sha256(adminToken));
}

/**
 * Resolves the caller from `Authorization: Bearer <token>` or the `sid` cookie and puts the
 * `principal` (or null) on the context. When Redis cannot be asked, `sessionsUnavailable`
 * is set instead, so guarded routes answer 503 while public ones carry on. A session that
 * is due gets its sliding expiry extended in the background (and its cookie re-issued).
 * @example app.use("/api/*", authenticate()); // then requireUser() / requireRole("admin")
 */
export function authenticate() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("principal", null);
    c.set("sessionsUnavailable", false);
    const bearer = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
    const cookie = getCookie(c, SESSION_COOKIE);
    const token = bearer ?? cookie;
    if (token === undefined) return next();

    const { sessions, config } = c.var.services;
    if (bearer !== undefined && (await isAdminToken(bearer, config.ADMIN_TOKEN))) {
      c.set("principal", { kind: "operator" });
      return next();
    }

    let principal: Principal | null = null;
    try {
      const session = await sessions.find(token);
      if (session) {
        const user = { id: session.userId, email: session.email, roles: session.roles };
        principal = { kind: "user", user, session, token, via: bearer !== undefined ? "bearer" : "cookie" };
      }
    } catch (error) {
      c.var.logger.warn("session lookup failed", { error });
      c.set("sessionsUnavailable", true);
    }
    c.set("principal", principal);

    if (principal?.kind === "user" && sessions.isDueForTouch(principal.session)) {
      c.var.background("session touch", sessions.touch(principal.session));
      if (principal.via === "cookie") setSessionCookie(c, token);
    }
    await next();
  });
}
