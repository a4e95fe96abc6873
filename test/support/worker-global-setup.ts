import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server";
import { startUpstashRestServer } from "./upstash-rest-server";

declare module "vitest" {
  export interface ProvidedContext {
    upstashUrl: string;
    upstashToken: string;
  }
}

/** Worker tests: a real redis-server behind the local Upstash-REST endpoint, which the Worker reaches over fetch. */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  const rest = await startUpstashRestServer({ redisUrl: redis.url });
  project.provide("upstashUrl", rest.url);
  project.provide("upstashToken", rest.token);
  return async () => {
    await rest.close();
    await redis.stop();
  };
}
