/** The drizzle schema (SQLite dialect): the one place tables are defined; drizzle-kit generates migrations from it. */
export {};
