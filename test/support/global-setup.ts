import type { TestProject } from "vitest/node";
import type { SchemaObject } from "../shared/schema";
import { schemaFromMigrationFiles } from "./migration-schema";
import { startRedisServer } from "./redis-server";
import { startUpstashRestServer } from "./upstash-rest-server";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    upstashUrl: string;
    upstashToken: string;
    migrationSchema: SchemaObject[];
  }
}

/**
 * Once per test run, for both projects: a real redis-server on a free port, and the local
 * Upstash-REST endpoint over it, which the Worker reaches over fetch (tests isolate by key
 * prefix); and the schema the committed migrations describe, for both runtimes to match. (One setup for both projects: loading ioredis in two projects' setups within one
 * vitest process fails with "Cannot redefine property: default".)
 */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  const rest = await startUpstashRestServer({ redisUrl: redis.url });
  project.provide("redisUrl", redis.url);
  project.provide("upstashUrl", rest.url);
  project.provide("upstashToken", rest.token);
  project.provide("migrationSchema", await schemaFromMigrationFiles("migrations"));
  return async () => {
    await rest.close();
    await redis.stop();
  };
}
