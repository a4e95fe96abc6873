/**
 * @module
 * A libSQL client for database files whose connection pool closes a connection on which a
 * statement failed instead of reusing it (DiscardingPool says why).
 */
import { ConnectionPool, Sqlite3Client, type Client } from "@libsql/client/sqlite3";

type Connection = ReturnType<ConnectionPool["acquireSync"]>;

/** Connections per client: @libsql/client's default `concurrency`. */
const MAX_CONNECTIONS = 20;

/**
 * The connection pool of @libsql/client 0.18.0, except that a connection on which a
 * statement failed is closed instead of reused.
 *
 * Why: libsql 0.5.29 (its native driver) resets a statement before running it, never after
 * a failure, so a statement that failed with SQLITE_BUSY stays active on its connection
 * until garbage collection finalizes it. While it does, SQLite counts it as a write in
 * progress: later autocommit writes on that connection report success but stay in a
 * transaction that never commits (holding the write lock against every process), reads
 * keep an old snapshot, and every COMMIT fails. The pool rolls back only connections that
 * report `inTransaction`, which such a connection does not, so it would hand it to the next
 * caller. A statement that failed waiting for a lock holds none, so the connection, rolled
 * back and closed at once, leaves no lock behind: another process can write. (A COMMIT
 * failing with SQLITE_BUSY would keep a read lock until collected even so; in WAL mode, with
 * write transactions that begin IMMEDIATE, a COMMIT waits for nobody and does not fail so.)
 */
class DiscardingPool extends ConnectionPool {
  readonly #watched = new WeakSet<Connection>();
  readonly #failed = new WeakSet<Connection>();

  override acquireSync(forTransaction?: boolean): Connection {
    const connection = super.acquireSync(forTransaction);
    if (!this.#watched.has(connection)) this.#watch(connection);
    return connection;
  }

  override release(connection: Connection): void {
    if (!this.#failed.has(connection)) {
      super.release(connection);
      return;
    }
    try {
      // exec, unlike a prepared statement, finalizes what it runs even when it fails.
      if (connection.open && connection.inTransaction) connection.exec("ROLLBACK");
    } catch {
      // closing rolls back too
    }
    try {
      connection.close();
    } catch {
      // nothing more to free
    }
    super.release(connection); // forgets the closed connection
    // The base pool hands a released connection to a caller waiting for one; a closed one
    // serves nobody, so pass a healthy one on (an idle one, or a new one within the limit).
    try {
      super.release(this.acquireSync());
    } catch {
      // the pool is closed, or the file cannot be opened: nobody can be served
    }
  }

  /** Notes a failure of any statement the pool's client prepares on `connection` (it runs them with `run` or `all`). */
  #watch(connection: Connection): void {
    this.#watched.add(connection);
    const failed = <T>(step: () => T): T => {
      try {
        return step();
      } catch (error) {
        this.#failed.add(connection);
        throw error;
      }
    };
    const prepare = connection.prepare.bind(connection);
    connection.prepare = ((source: string) => {
      const statement = prepare(source);
      const run = statement.run.bind(statement);
      const all = statement.all.bind(statement);
      statement.run = (...parameters) => failed(() => run(...parameters));
      statement.all = (...parameters) => failed(() => all(...parameters));
      return statement;
    }) as Connection["prepare"];
  }
}

/**
 * A libSQL client for the database file at `path` whose every connection waits up to
 * `busyTimeoutMs` for another connection's (or process's) lock, as `createClient`'s
 * `timeout` option sets it; built on DiscardingPool.
 */
export function createFileClient(path: string, busyTimeoutMs: number): Client {
  return new Sqlite3Client(new DiscardingPool(path, { timeout: busyTimeoutMs }, MAX_CONNECTIONS), "number");
}
