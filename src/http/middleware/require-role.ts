/**
 * @module
 * Role guard middleware for routes that need a signed-in user or an admin.
 */
import { createMiddleware } from "hono/factory";
import { hasRole } from "../../auth/principal";
import { SessionsUnavailableError } from "../../auth/sessions";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";

/**
 * Guards a route: 503 when sessions cannot be checked, 401 without a valid session, 403 when
 * the caller lacks `role`. `requireRole("user")` means "signed in"; ADMIN_TOKEN passes "admin".
 * @example createRoute({ ..., middleware: [requireRole("admin")] })
 */
export function requireRole(role: "user" | "admin") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get("principal");
    if (principal === null && c.get("sessionsUnavailable")) throw new SessionsUnavailableError();
    if (principal === null) throw new AppError(401, "UNAUTHORIZED", "Sign in to use this endpoint");
    if (!hasRole(principal, role)) throw new AppError(403, "FORBIDDEN", `This endpoint needs the ${role} role`);
    await next();
  });
}
