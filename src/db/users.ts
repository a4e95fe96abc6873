/**
 * @module
 * The auth feature's user repository on drizzle (libSQL and D1), with emails compared
 * case-insensitively.
 */
import { eq } from "drizzle-orm";
import type { AppDatabase } from "./database";
import { users } from "./schema";
import type { Role, User, UserRepository, UserWithPassword } from "../auth/users";

/** Emails compare case-insensitively: they are stored and looked up in this form. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

const toUser = (row: typeof users.$inferSelect): UserWithPassword => ({ ...row, roles: row.roles as Role[] });

const withoutPassword = ({ passwordHash: _hash, ...user }: UserWithPassword): User => user;

/** @example const users = createUserRepository(db); await users.findByEmail("a@b.c"); */
export function createUserRepository(db: AppDatabase): UserRepository {
  return {
    async findByEmail(email) {
      const [row] = await db
        .select()
        .from(users)
        .where(eq(users.email, normaliseEmail(email)))
        .limit(1);
      return row && toUser(row);
    },
    async findById(id) {
      const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return row && withoutPassword(toUser(row));
    },
    async create({ email, passwordHash, roles }) {
      const now = new Date();
      const [row] = await db
        .insert(users)
        .values({ id: crypto.randomUUID(), email: normaliseEmail(email), passwordHash, roles, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: users.email })
        .returning();
      return row && withoutPassword(toUser(row));
    },
    async update(id, changes) {
      await db
        .update(users)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(users.id, id));
    },
    async delete(id) {
      await db.delete(users).where(eq(users.id, id));
    },
  };
}
