/**
 * @module
 * The database as the repositories see it: drizzle over SQLite (D1 or libSQL), with nothing
 * runtime-specific; opening one is the entries' business.
 */
import { sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema";

/**
 * A drizzle SQLite database: D1 or libSQL, async either way, with drizzle's atomic `batch`
 * (both drivers have the same one). Repositories take this and nothing runtime-specific.
 */
export type AppDatabase = BaseSQLiteDatabase<"async", unknown, typeof schema> & Pick<LibSQLDatabase<typeof schema>, "batch">;

/** Cheapest query that proves the database answers. */
export async function pingDatabase(db: AppDatabase): Promise<void> {
  await db.run(sql`select 1`);
}
