/** Reading an app schema from sqlite_master, the same way on D1 and libSQL. */
export interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string;
}

/** Objects the runtimes add for their own bookkeeping, not part of the app's schema. */
const isAppObject = (name: string) => !/^(sqlite_|_cf_|d1_migrations|__drizzle_migrations)/.test(name);

/** The app's tables and indexes as SQLite describes them, in a stable order. */
export const SCHEMA_QUERY = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name";

export function appSchema(rows: SchemaObject[]): SchemaObject[] {
  return rows.filter((row) => isAppObject(row.name)).map(({ type, name, tbl_name, sql }) => ({ type, name, tbl_name, sql }));
}
