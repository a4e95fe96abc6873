/**
 * The Redis key layout: every key the app touches is built here, under `REDIS_PREFIX`, so
 * one app's keys never collide with another's and background jobs can SCAN a namespace.
 * Request paths only touch keys they can name; nothing uses KEYS.
 *
 *   {prefix}:*                          everything this app owns
 *
 * Each feature adds its namespace below, with a line in this table.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** SCAN pattern over every key of this app. */
  readonly everything: string;
}

/** @example createRedisKeys("jollyjet").everything // "jollyjet:*" */
export function createRedisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    everything: `${prefix}:*`,
  };
}
