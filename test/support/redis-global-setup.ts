import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Node tests: one real redis-server for the run, on a free port; tests isolate by key prefix. */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
