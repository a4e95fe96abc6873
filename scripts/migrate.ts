/**
 * Applies the committed migrations to the libSQL database named by DATABASE_URL (and
 * DATABASE_AUTH_TOKEN): for a Turso/libSQL database that a Worker reaches via LIBSQL_URL.
 * (The Node server migrates its own database at start-up; D1 uses `wrangler d1 migrations apply`.)
 * Opened as the server opens it, so it is safe next to running instances on a file.
 *
 *   DATABASE_URL=libsql://… DATABASE_AUTH_TOKEN=… npm run db:migrate
 */
import { parseConfig } from "../src/config";
import { migrateDatabase, openNodeDatabase } from "../src/db/libsql-node";
import { MIGRATIONS_FOLDER } from "../src/entry/self-hosted-services";

const config = parseConfig(process.env);
const { client, db } = await openNodeDatabase(config);
try {
  await migrateDatabase(db, MIGRATIONS_FOLDER);
} finally {
  client.close();
}
console.log(`migrated ${config.DATABASE_URL.split("?")[0]}`);
