/**
 * @module
 * ioredis's client class for test servers that load in a vitest globalSetup. ioredis is
 * CommonJS: inside a vitest-pool-workers globalSetup its default import is a namespace-like
 * object whose `.Redis` is the class, while under plain Node ESM the default import is the class
 * itself (which has a `.Redis` too), so `.Redis` is taken when present.
 */
import IORedis, { type Redis } from "ioredis";

export const RedisClient: typeof Redis = (IORedis as unknown as { Redis?: typeof Redis }).Redis ?? (IORedis as unknown as typeof Redis);
