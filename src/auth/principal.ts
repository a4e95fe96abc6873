/**
 * @module
 * Who is calling (a session's user, or the operator holding ADMIN_TOKEN) and the role checks
 * made on it. Telling who is calling from a request is src/http/middleware/caller.ts's.
 */
import { AppError } from "../errors";
import type { Session, SessionUser } from "./sessions";

/**
 * Who is calling: a signed-in user (session from the `sid` cookie or a bearer token), or
 * the operator holding ADMIN_TOKEN (admin rights on operational endpoints, no account).
 */
export type Principal =
  | { kind: "user"; user: SessionUser; session: Session; token: string; via: "cookie" | "bearer" }
  | { kind: "operator" };

export const hasRole = (principal: Principal | null, role: "user" | "admin"): boolean =>
  principal !== null && (principal.kind === "operator" ? role === "admin" : principal.user.roles.includes(role));

export type UserPrincipal = Extract<Principal, { kind: "user" }>;

/** The signed-in user behind a guarded route; the operator token has no account to act as. */
export function userPrincipal(principal: Principal | null): UserPrincipal {
  if (principal?.kind !== "user") throw new AppError(403, "FORBIDDEN", "This endpoint needs a user session, not the operator token");
  return principal;
}
