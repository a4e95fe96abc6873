/**
 * Applies the committed migrations to the libSQL database named by DATABASE_URL (and
 * DATABASE_AUTH_TOKEN): for a Turso/libSQL database that a Worker reaches via LIBSQL_URL.
 * (The Node server migrates its own database at start-up; D1 uses `wrangler d1 migrations apply`.)
 *
 *   DATABASE_URL=libsql://… DATABASE_AUTH_TOKEN=… npm run db:migrate
 */
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { parseConfig } from "../src/config";
import { MIGRATIONS_FOLDER } from "../src/entry/node-server";

const config = parseConfig(process.env);
const client = createClient({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN });
await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
client.close();
console.log(`migrated ${config.DATABASE_URL.split("?")[0]}`);
