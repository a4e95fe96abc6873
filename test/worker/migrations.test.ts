import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { appSchema, SCHEMA_QUERY, type SchemaObject } from "../shared/schema";

describe("migrations on D1", () => {
  it("a fresh local D1 reaches exactly the schema of the committed migration files", async () => {
    const { results } = await env.DB.prepare(SCHEMA_QUERY).all<SchemaObject>();
    const schema = appSchema(results);
    expect(schema.length).toBeGreaterThan(0);
    expect(schema).toEqual(inject("migrationSchema"));
  });
});
