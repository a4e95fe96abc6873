/**
 * @module
 * Transaction modes for libSQL batches that drizzle sends without one: a batch that may write
 * takes the write lock before it reads, so it waits out another process's lock instead of
 * failing with SQLITE_BUSY. Used by the self-hosted servers' client (./libsql-node.ts).
 */
import type { Client, InArgs, InStatement, TransactionMode } from "@libsql/client";

type BatchStatement = InStatement | [string, InArgs?];

const sqlOf = (statement: BatchStatement) =>
  typeof statement === "string" ? statement : Array.isArray(statement) ? statement[0] : statement.sql;

/** What drizzle emits for its selects; anything else may write. */
const READ_ONLY = /^\s*select\b/i;

/**
 * The transaction mode for a batch: "write" (BEGIN IMMEDIATE) unless every statement is a
 * SELECT, then "deferred".
 *
 * Why: drizzle's `db.batch([...])` calls `client.batch(statements)` without a mode, and the
 * client then begins DEFERRED: a statement that reads first takes a snapshot, and a later
 * write must upgrade it to the write lock. When another connection (or process) holds that
 * lock or has committed since the snapshot, the upgrade fails with SQLITE_BUSY at once:
 * SQLite skips the busy timeout there, since waiting could deadlock or cannot help.
 * BEGIN IMMEDIATE takes the write lock before anything is read, waiting up to the busy
 * timeout for it. Reads keep "deferred": in WAL mode they never wait for a
 * writer, and libSQL's "read" mode does not stop a write either.
 */
function batchModeOf(statements: BatchStatement[]): TransactionMode {
  return statements.every((statement) => READ_ONLY.test(sqlOf(statement))) ? "deferred" : "write";
}

/**
 * `client` whose batches without an explicit mode run in batchModeOf's mode; everything
 * else is passed through. The repositories stay as they are (D1 on Workers shares them and
 * has no interactive transactions): the driver decides the lock, not the caller.
 * @example const db = drizzle(withBatchModes(client), { schema });
 */
export function withBatchModes(client: Client): Client {
  return {
    execute: client.execute.bind(client),
    batch: (statements, mode) => client.batch(statements, mode ?? batchModeOf(statements)),
    migrate: client.migrate.bind(client),
    transaction: client.transaction.bind(client),
    executeMultiple: client.executeMultiple.bind(client),
    sync: client.sync.bind(client),
    close: client.close.bind(client),
    reconnect: client.reconnect.bind(client),
    get closed() {
      return client.closed;
    },
    get protocol() {
      return client.protocol;
    },
  };
}
