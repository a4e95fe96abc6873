import { z } from "zod";
import type { Role } from "../db/users";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { randomBytes, sha256, toBase64Url } from "./encoding";

/**
 * Sessions live in Redis only. The client holds a token `<userId>.<256 random bits>`; Redis
 * holds the record under the token's SHA-256, so a copy of Redis holds no usable token. The
 * user id in the clear lets the rate limiter key a signed-in caller per user in the same
 * round trip as the session lookup; the random part is what authenticates. Each session
 * expires SESSION_TTL_S after its last use (sliding); a per-user set of session ids lets a
 * user's sessions be listed and revoked without SCAN.
 */
const sessionRecordSchema = z.object({
  userId: z.string(),
  email: z.string(),
  roles: z.array(z.enum(["user", "admin"])),
  createdAt: z.iso.datetime(),
  lastAccessedAt: z.iso.datetime(),
});

export type SessionRecord = z.infer<typeof sessionRecordSchema>;

export interface Session extends SessionRecord {
  /** Hash of the token: names the session in Redis and in the user's index. */
  id: string;
  expiresAt: string;
}

export interface SessionUser {
  id: string;
  email: string;
  roles: Role[];
}

/** A user id (UUID), a dot, 43 base64url characters (32 random bytes). Anything else is not a token of ours. */
const TOKEN_PATTERN = /^([0-9a-f-]{36})\.[A-Za-z0-9_-]{43}$/;

export const isWellFormedToken = (token: string): boolean => TOKEN_PATTERN.test(token);

/** The user a well-formed token claims to belong to (not yet verified: only the session lookup does that). */
export const claimedUserId = (token: string): string | undefined => TOKEN_PATTERN.exec(token)?.[1];

export interface SessionStore {
  create(user: SessionUser): Promise<{ token: string; session: Session }>;
  /** The Redis key of the token's session (undefined for a malformed token), to read it in a batch. */
  keyFor(token: string): Promise<string | undefined>;
  /**
   * Null for an unknown, expired, revoked or malformed token. Rejects only when Redis fails.
   * `prefetched`: the session key's value, when the caller already read it (see keyFor).
   */
  find(token: string, prefetched?: Promise<string | null>): Promise<Session | null>;
  /** Whether `session` is due for a sliding-expiry refresh (throttled to spare Redis writes). */
  isDueForTouch(session: Session, now?: Date): boolean;
  /** Extends a live session; never recreates one that expired or was revoked meanwhile. */
  touch(session: Session, now?: Date): Promise<Session>;
  revoke(session: Session): Promise<void>;
  /** Deletes every session of the user; resolves to how many were live. */
  revokeAll(userId: string): Promise<number>;
  listIds(userId: string): Promise<string[]>;
}

/** @example const sessions = createSessionStore({ redis, keys, ttlSeconds: 86400 }); */
export function createSessionStore(options: { redis: RedisPort; keys: RedisKeys; ttlSeconds: number }): SessionStore {
  const { redis, keys } = options;
  const ttlMs = options.ttlSeconds * 1000;
  // Refresh at most once a minute, or a quarter of the lifetime when that is shorter.
  const touchEveryMs = Math.min(60_000, ttlMs / 4);

  const sessionId = async (token: string) => toBase64Url(await sha256(token));
  const withExpiry = (id: string, record: SessionRecord): Session => ({
    ...record,
    id,
    expiresAt: new Date(Date.parse(record.lastAccessedAt) + ttlMs).toISOString(),
  });
  const recordOf = ({ id: _id, expiresAt: _expiresAt, ...record }: Session): SessionRecord => record;

  return {
    async create(user) {
      const token = `${user.id}.${toBase64Url(randomBytes(32))}`;
      const id = await sessionId(token);
      const now = new Date().toISOString();
      const record: SessionRecord = { userId: user.id, email: user.email, roles: user.roles, createdAt: now, lastAccessedAt: now };
      await redis.pipeline([
        ops.set(keys.session(id), JSON.stringify(record), { pxMs: ttlMs }),
        ops.sadd(keys.userSessions(user.id), [id]),
        ops.pexpire(keys.userSessions(user.id), ttlMs),
      ]);
      return { token, session: withExpiry(id, record) };
    },

    async keyFor(token) {
      return isWellFormedToken(token) ? keys.session(await sessionId(token)) : undefined;
    },

    async find(token, prefetched) {
      if (!isWellFormedToken(token)) return null;
      const id = await sessionId(token);
      const stored = await (prefetched ?? redis.run(ops.get(keys.session(id))));
      if (stored === null) return null;
      const parsed = sessionRecordSchema.safeParse(safeJson(stored));
      // The record must belong to the user the token names.
      return parsed.success && parsed.data.userId === claimedUserId(token) ? withExpiry(id, parsed.data) : null;
    },

    isDueForTouch(session, now = new Date()) {
      return now.getTime() - Date.parse(session.lastAccessedAt) >= touchEveryMs;
    },

    async touch(session, now = new Date()) {
      const touched = withExpiry(session.id, { ...recordOf(session), lastAccessedAt: now.toISOString() });
      // XX: write only if the key still exists, so an expired or revoked session stays dead.
      const [written] = await redis.pipeline([
        ops.set(keys.session(session.id), JSON.stringify(recordOf(touched)), { pxMs: ttlMs, xx: true }),
        ops.pexpire(keys.userSessions(session.userId), ttlMs),
      ]);
      return written ? touched : session;
    },

    async revoke(session) {
      await redis.pipeline([ops.del(keys.session(session.id)), ops.srem(keys.userSessions(session.userId), [session.id])]);
    },

    async revokeAll(userId) {
      const ids = await redis.run(ops.smembers(keys.userSessions(userId)));
      if (ids.length === 0) return 0;
      const [revoked] = await redis.pipeline([ops.del(...ids.map(keys.session)), ops.del(keys.userSessions(userId))]);
      return revoked;
    },

    async listIds(userId) {
      const ids = await redis.run(ops.smembers(keys.userSessions(userId)));
      if (ids.length === 0) return [];
      const records = await redis.run(ops.mget(ids.map(keys.session)));
      return ids.filter((_, index) => records[index] !== null);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
