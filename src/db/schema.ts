/**
 * @module
 * The drizzle schema (SQLite dialect): the one place tables are defined. drizzle-kit
 * generates `migrations/` from it; D1 (wrangler) and libSQL (drizzle's migrator) apply
 * the same files.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`),
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

export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    /** Exact money: integer cents. The API shows `price` = cents / 100. */
    priceCents: integer("price_cents").notNull(),
    stock: integer("stock").notNull(),
    category: text("category").notNull(),
    /** `category` lower-cased in JS (Unicode-aware, unlike SQLite's lower()): what filters match. */
    categoryKey: text("category_key").notNull(),
    /** Lower-cased name + description for case-insensitive substring search. */
    searchText: text("search_text").notNull(),
    images: text("images", { mode: "json" }).$type<string[]>().notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    wishlistCount: integer("wishlist_count").notNull().default(0),
    /** 1 on create, +1 in the same statement as every change: the cache's fill guard. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (table) => [
    index("products_created_idx").on(table.createdAt, table.id),
    index("products_price_idx").on(table.priceCents, table.id),
    index("products_name_idx").on(table.name, table.id),
    index("products_category_idx").on(table.categoryKey, table.createdAt),
    index("products_active_idx").on(table.isActive, table.createdAt),
  ],
);

/** Per-user wishlists; products.wishlist_count is recomputed from this table on every toggle. */
export const wishlists = sqliteTable(
  "wishlists",
  {
    userId: text("user_id").notNull(),
    productId: text("product_id").notNull(),
    createdAt: timestamps.createdAt,
  },
  (table) => [primaryKey({ columns: [table.userId, table.productId] }), index("wishlists_product_idx").on(table.productId)],
);
