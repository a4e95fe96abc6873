import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server";
import "./global-setup";

/** Once per served run (vitest.served.config.ts): the one redis-server the scenarios' apps share (by key prefix). */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
