/**
 * D1 read replication stood in for in workerd: two real local D1 databases, the primary and
 * a replica that applies the primary's commits, in order, only while the test lets it.
 * Sessions behave as D1's do: a bookmark is a point in the primary's history (here: how
 * many commits it has made); a session reads from the replica when the replica has
 * reached the session's bookmark, else from the primary; a batch is applied as one batch; "first-primary" starts on the
 * primary, "first-unconstrained" anywhere; every query moves the session's bookmark to at
 * least what it read or wrote. Queries on the database itself (no session) go to the primary,
 * as D1's do.
 *
 * Written for the tests: local D1 has no replicas, and no library stands one in.
 */
type Method = "first" | "run" | "all" | "raw";
interface Write {
  sql: string;
  params: unknown[];
}

export interface LaggingD1 {
  /** What the app is given as its DB binding. */
  readonly database: D1Database;
  /** How many queries the replica has answered. */
  readonly replicaReads: () => number;
  /** The replica stops applying the primary's writes (they queue, in order). */
  hold(): void;
  /** The replica applies everything queued and follows the primary again. */
  release(): Promise<void>;
  /** The next read the replica answers waits until `resume`; `arrived` settles when one does. */
  pauseNextReplicaRead(): { arrived: Promise<void>; resume: () => void };
}

const isWrite = (sql: string) => /^\s*(insert|update|delete|replace)\b/i.test(sql);
const bookmarkOf = (writes: number) => `stand-in-${String(writes).padStart(12, "0")}`;
const BOOKMARK = /^stand-in-(\d{12})$/;

export function laggingD1(primary: D1Database, replica: D1Database): LaggingD1 {
  /** The primary's commits: a statement, or a batch's statements (replayed together: `changes()` and the like see each other). */
  const log: Write[][] = [];
  let applied = 0;
  let held = false;
  let reads = 0;
  let pause: { arrived: () => void; resumed: Promise<void> } | undefined;

  let replaying: Promise<void> | undefined;
  /** Replays the commits the replica has not applied, one replay at a time (concurrent writes must not apply one twice). */
  function catchUp(): Promise<void> {
    replaying ??= (async () => {
      while (!held && applied < log.length) {
        await replica.batch(log[applied]!.map((write) => replica.prepare(write.sql).bind(...write.params)));
        applied += 1;
      }
    })().finally(() => {
      replaying = undefined;
    });
    return replaying;
  }

  /**
   * A session: `at` is its bookmark (undefined before its first query); `start`: where its
   * first query goes ("primary-only": every query, for the database without a session).
   */
  function session(start: "primary" | "any" | "primary-only", at: number | undefined) {
    let bookmark = at;
    const onReplica = () => start !== "primary-only" && !(bookmark === undefined && start === "primary") && applied >= (bookmark ?? 0);

    async function read<T>(work: (database: D1Database) => Promise<T>): Promise<T> {
      if (!onReplica()) {
        const result = await work(primary);
        bookmark = log.length;
        return result;
      }
      reads += 1;
      const paused = pause;
      pause = undefined;
      if (paused) {
        paused.arrived();
        await paused.resumed;
      }
      const result = await work(replica);
      bookmark = Math.max(bookmark ?? 0, applied);
      return result;
    }

    async function write<T>(writes: Write[], work: (database: D1Database) => Promise<T>): Promise<T> {
      const result = await work(primary);
      log.push(writes);
      bookmark = log.length;
      await catchUp();
      return result;
    }

    class Statement {
      constructor(
        readonly sql: string,
        readonly params: unknown[] = [],
      ) {}
      bind(...params: unknown[]) {
        return new Statement(this.sql, params);
      }
      on(database: D1Database) {
        return database.prepare(this.sql).bind(...this.params);
      }
      execute(method: Method, args: unknown[]) {
        const work = (database: D1Database) => (this.on(database)[method] as (...a: unknown[]) => Promise<unknown>)(...args);
        return isWrite(this.sql) ? write([{ sql: this.sql, params: this.params }], work) : read(work);
      }
      first(...args: unknown[]) {
        return this.execute("first", args);
      }
      run(...args: unknown[]) {
        return this.execute("run", args);
      }
      all(...args: unknown[]) {
        return this.execute("all", args);
      }
      raw(...args: unknown[]) {
        return this.execute("raw", args);
      }
    }

    return {
      prepare: (sql: string) => new Statement(sql) as unknown as D1PreparedStatement,
      async batch(statements: D1PreparedStatement[]) {
        const ours = statements as unknown as Statement[];
        const work = (database: D1Database) => database.batch(ours.map((statement) => statement.on(database)));
        const writes = ours.map(({ sql, params }) => ({ sql, params }));
        return ours.some((statement) => isWrite(statement.sql)) ? write(writes, work) : read(work);
      },
      getBookmark: () => (bookmark === undefined ? null : bookmarkOf(bookmark)),
    };
  }

  const withoutSession = session("primary-only", undefined);
  const database = {
    prepare: (sql: string) => withoutSession.prepare(sql),
    batch: (statements: D1PreparedStatement[]) => withoutSession.batch(statements),
    exec: (sql: string) => primary.exec(sql),
    dump: () => primary.dump(),
    withSession(constraintOrBookmark?: string) {
      const bookmark = BOOKMARK.exec(constraintOrBookmark ?? "");
      if (bookmark) return session("any", Number(bookmark[1]));
      return session(constraintOrBookmark === "first-primary" ? "primary" : "any", undefined);
    },
  } as unknown as D1Database;

  return {
    database,
    replicaReads: () => reads,
    hold: () => (held = true),
    async release() {
      held = false;
      await catchUp();
    },
    pauseNextReplicaRead() {
      let arrived!: () => void;
      let resume!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      pause = { arrived, resumed: new Promise<void>((resolve) => (resume = resolve)) };
      return { arrived: arrival, resume };
    },
  };
}
