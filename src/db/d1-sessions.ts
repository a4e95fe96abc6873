/**
 * @module
 * D1 read replication through the Sessions API: each request's queries go through one D1
 * session, which starts at the bookmark the client presented (its own last write: any
 * replica that has reached it may answer) or, without one, on any replica for a read and on
 * the primary for a request that may write (what it checks before writing must be current).
 * The session's latest bookmark becomes the client's new position after a writing request
 * (src/http/middleware/read-your-writes.ts). Outside a request (the cron's consistency run,
 * startup) queries go to the binding itself, which is the primary.
 *
 * Written by hand: drizzle's D1 driver takes one database object for the life of the
 * isolate, and a D1 session is per request; this object is that database, choosing the
 * session of the request whose code is running.
 */
import type { ClientPosition, PositionContext } from "../client-position";

/**
 * The D1 database for drizzle on the Worker: `binding` itself outside a request, the
 * request's own D1 session within one (at the position `positions` carries).
 * @example const db = drizzle(withD1Sessions(env.DB, positions), { schema });
 */
export function withD1Sessions(binding: D1Database, positions: PositionContext): D1Database {
  const sessions = new WeakMap<ClientPosition, D1DatabaseSession>();

  function sessionOf(position: ClientPosition): D1DatabaseSession {
    let session = sessions.get(position);
    if (!session) {
      const opened = binding.withSession(position.database.readAt ?? (position.trackWrites ? "first-primary" : "first-unconstrained"));
      position.database.reached = () => opened.getBookmark() ?? undefined;
      sessions.set(position, opened);
      session = opened;
    }
    return session;
  }
  const current = (): D1Database | D1DatabaseSession => {
    const position = positions.current();
    return position ? sessionOf(position) : binding;
  };

  return {
    prepare: (query) => current().prepare(query),
    batch: (statements) => current().batch(statements),
    // Not used by drizzle's queries; migrations and dumps are the primary's business.
    exec: (query) => binding.exec(query),
    withSession: (constraintOrBookmark) => binding.withSession(constraintOrBookmark),
    dump: () => binding.dump(),
  };
}
