/**
 * @module
 * libSQL for the self-hosted servers and the scripts: opening DATABASE_URL (a file shared by
 * several processes, or a libSQL server) and applying the migrations. Not used on Workers,
 * which reach D1 or libSQL over HTTP (src/entry/worker.ts).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Config } from "../config";
import { withBatchModes } from "./batch-modes";
import { createFileClient } from "./libsql-pool";
import * as schema from "./schema";

const FILE_URL = /^file:(?:\/\/(?<host>[^/?#]*))?(?<path>[^?#]*)$/i;

/**
 * The file a `file:` URL names, read as libSQL reads it (`file:relative/x.db`,
 * `file:/abs/x.db`, `file:///abs/x.db`); undefined for an in-memory database and for URLs
 * libSQL should judge itself (a query string, a host).
 */
function databaseFilePath(url: string): string | undefined {
  const { host, path } = FILE_URL.exec(url)?.groups ?? {};
  if (path === undefined || (host && host.toLowerCase() !== "localhost")) return undefined;
  const decoded = decodeURIComponent(path);
  return decoded === "" || decoded.startsWith(":memory:") ? undefined : decoded;
}

/**
 * Opens DATABASE_URL for the Node server and scripts. Several processes may share a file:
 * it is put in WAL journal mode (a property of the file, kept for every later connection
 * and process: readers and the writer do not block each other, and a commit never waits
 * for readers), every connection waits up to DATABASE_BUSY_TIMEOUT_MS for another's lock,
 * connections on which a statement failed are not reused (src/db/libsql-pool.ts), and
 * write batches take the write lock up front (src/db/batch-modes.ts).
 * `journalMode` is the file's mode afterwards: not "wal" where the file system cannot
 * share memory between processes (network file systems). Undefined for other databases.
 */
export async function openNodeDatabase(config: Pick<Config, "DATABASE_URL" | "DATABASE_AUTH_TOKEN" | "DATABASE_BUSY_TIMEOUT_MS">) {
  const file = databaseFilePath(config.DATABASE_URL);
  if (file) mkdirSync(dirname(file), { recursive: true });
  const client = withBatchModes(
    file
      ? createFileClient(file, config.DATABASE_BUSY_TIMEOUT_MS)
      : createClient({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN, timeout: config.DATABASE_BUSY_TIMEOUT_MS }),
  );
  let journalMode: string | undefined;
  try {
    if (file) journalMode = String((await client.execute("PRAGMA journal_mode=WAL")).rows[0]?.[0]);
  } catch (error) {
    client.close();
    throw error;
  }
  return { client, db: drizzle(client, { schema }), file, journalMode };
}

/** Attempts of the migrator before its error stands. */
const MIGRATE_ATTEMPTS = 3;

/**
 * Applies the migrations in `migrationsFolder` that the database lacks. drizzle's migrator
 * reads the last applied migration, then applies the newer ones in one transaction; when
 * another process (an instance starting at the same time, `npm run db:migrate`) applied
 * them in between, that transaction fails (the tables exist) and rolls back, and the next
 * attempt finds nothing left to do.
 */
export async function migrateDatabase(db: LibSQLDatabase<typeof schema>, migrationsFolder: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder });
      return;
    } catch (error) {
      if (attempt >= MIGRATE_ATTEMPTS) throw error;
    }
  }
}
