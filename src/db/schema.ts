import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The drizzle schema (SQLite dialect): the one place tables are defined. drizzle-kit
 * generates `migrations/` from it; D1 (wrangler) and libSQL (drizzle's migrator) apply
 * the same files.
 */

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`),
};

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  /** Stored lower-cased and trimmed, so the unique index compares emails case-insensitively. */
  email: text("email").notNull().unique(),
  /** Self-describing: `pbkdf2-sha256$<iterations>$<salt>$<hash>` (see src/auth/password.ts). */
  passwordHash: text("password_hash").notNull(),
  roles: text("roles", { mode: "json" }).$type<string[]>().notNull(),
  ...timestamps,
});
