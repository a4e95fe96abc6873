/**
 * The Redis key layout: every key the app touches is built here, under `REDIS_PREFIX`, so
 * one app's keys never collide with another's and background jobs can SCAN a namespace.
 * Request paths only touch keys they can name; nothing uses KEYS.
 *
 *   {prefix}:*                          everything this app owns
 *   {prefix}:session:{id}               session record (JSON), PX = SESSION_TTL_S, sliding;
 *                                       id = base64url(SHA-256(token)), never the token itself
 *   {prefix}:user-sessions:{userId}     SET of a user's session ids (revoke-all without SCAN)
 *
 * Each feature adds its namespace below, with a line in this table.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** SCAN pattern over every key of this app. */
  readonly everything: string;
  session(id: string): string;
  userSessions(userId: string): string;
}

/** @example createRedisKeys("jollyjet").everything // "jollyjet:*" */
export function createRedisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    everything: `${prefix}:*`,
    session: (id) => `${prefix}:session:${id}`,
    userSessions: (userId) => `${prefix}:user-sessions:${userId}`,
  };
}
