import { defineConfig } from "drizzle-kit";

/** `npm run db:generate` writes SQL migrations for the schema into migrations/ (used by D1 and libSQL alike). */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
