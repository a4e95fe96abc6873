import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { appSchema, SCHEMA_QUERY, type SchemaObject } from "../shared/schema";

/**
 * The schema the committed migration files describe, built by executing their SQL on a
 * blank in-memory database — independently of both migrators under test.
 */
export async function schemaFromMigrationFiles(folder: string): Promise<SchemaObject[]> {
  const files = (await readdir(folder)).filter((file) => file.endsWith(".sql")).sort();
  const client = createClient({ url: ":memory:" });
  try {
    for (const file of files) await client.executeMultiple(await readFile(join(folder, file), "utf8"));
    const result = await client.execute(SCHEMA_QUERY);
    return appSchema(result.rows as unknown as SchemaObject[]);
  } finally {
    client.close();
  }
}
