/**
 * @module
 * The admin account of the configuration (ADMIN_EMAIL, ADMIN_PASSWORD), made to match it at
 * start-up (src/services.ts prepareServices). The operator's ADMIN_TOKEN is no account and is
 * not handled here (./principal.ts).
 */
import type { UserRepository } from "../auth/users";
import type { Logger } from "../logger";
import { hashPassword, verifyPassword } from "./password";
import type { SessionStore } from "./sessions";

/**
 * Makes the ADMIN_EMAIL account exist with ADMIN_PASSWORD and the admin role, before the
 * first request is served: created when missing, brought in line when its password or roles
 * differ (then its old sessions are revoked, since they carry stale roles or credentials).
 */
export async function ensureAdminAccount(options: {
  email: string;
  password: string;
  users: UserRepository;
  sessions: SessionStore;
  logger: Logger;
}): Promise<void> {
  const { email, password, users, sessions, logger } = options;
  let existing = await users.findByEmail(email);
  if (!existing) {
    const created = await users.create({ email, passwordHash: await hashPassword(password), roles: ["user", "admin"] });
    if (created) {
      logger.info("admin account created", { userId: created.id });
      return;
    }
    // Another instance created it a moment ago: align that one.
    existing = await users.findByEmail(email);
    if (!existing) throw new Error("the admin account could be neither created nor found");
  }
  const passwordMatches = await verifyPassword(password, existing.passwordHash);
  const isAdmin = existing.roles.includes("admin");
  if (passwordMatches && isAdmin) return;
  await users.update(existing.id, {
    ...(passwordMatches ? {} : { passwordHash: await hashPassword(password) }),
    roles: isAdmin ? existing.roles : [...existing.roles, "admin"],
  });
  await sessions.revokeAll(existing.id).catch((error: unknown) => logger.warn("could not revoke the admin's old sessions", { error }));
  logger.info("admin account updated", { userId: existing.id, passwordChanged: !passwordMatches, roleAdded: !isAdmin });
}
