import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { describe, expect, inject, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../src/entry/self-hosted-services";
import { appSchema, SCHEMA_QUERY, type SchemaObject } from "../shared/schema";
import { testEnvironment } from "../support/node-app";

describe("migrations on libSQL", () => {
  it("a fresh libSQL file reaches exactly the schema of the committed migration files", async () => {
    const url = testEnvironment().DATABASE_URL!;
    const client = createClient({ url });
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER }); // idempotent on restart
      const schema = appSchema((await client.execute(SCHEMA_QUERY)).rows as unknown as SchemaObject[]);
      expect(schema.length).toBeGreaterThan(0);
      expect(schema).toEqual(inject("migrationSchema"));
    } finally {
      client.close();
    }
  });
});
