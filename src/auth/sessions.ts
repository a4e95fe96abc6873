/**
 * @module
 * Sessions live in Redis only. The client holds a token `<userId>.<256 random bits>.<MAC>`;
 * Redis holds the record under the token's SHA-256, so a copy of Redis holds no usable token.
 * The random part is what authenticates a session (its record must exist). The MAC (HMAC-
 * SHA-256 over the rest, truncated to 128 bits) lets the rate limiter trust the user id
 * without asking Redis first: a signed-in caller is limited per user in the same round trip
 * as the session lookup, and nobody can claim another user's budget, or a fresh one per
 * request, with made-up tokens. Each session expires SESSION_TTL_S after its last use
 * (sliding); a per-user set of session ids lets a user's sessions be listed and revoked
 * without SCAN.
 */
import { z } from "zod";
import type { Role } from "../auth/users";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { LuaScript } from "../redis/script";
import { randomBytes, sha256, toBase64Url } from "../encoding";
import { AppError } from "../errors";
import { verifyMac, type Mac } from "./mac";
import { memoize } from "../memo";

const sessionRecordSchema = z.object({
  userId: z.string(),
  email: z.string(),
  roles: z.array(z.enum(["user", "admin"])),
  createdAt: z.iso.datetime(),
  lastAccessedAt: z.iso.datetime(),
});

type SessionRecord = z.infer<typeof sessionRecordSchema>;

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

/** The session store cannot answer (Redis down or slow): a 503, never taken to mean "signed out". */
export class SessionsUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(503, "SESSIONS_UNAVAILABLE", "Sessions are temporarily unavailable; try again shortly", undefined, cause);
  }
}

/** A user id (UUID), 43 base64url characters (32 random bytes), 22 of MAC (16 bytes), dot-separated. Anything else is not a token of ours. */
const TOKEN_PATTERN = /^(([0-9a-f-]{36})\.[A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

const isWellFormedToken = (token: string): boolean => TOKEN_PATTERN.test(token);

/** The user a well-formed token claims to belong to (not verified: see verifiedUserId). */
const claimedUserId = (token: string): string | undefined => TOKEN_PATTERN.exec(token)?.[2];

/**
 * Deletes every session of a user and the user's index in one step (KEYS[1]: the index;
 * ARGV[1]: the session key prefix), so no login can slip in between reading the index and
 * deleting it. A session created concurrently is either deleted or still indexed.
 */
const revokeAllScript = new LuaScript(`
local ids = redis.call('SMEMBERS', KEYS[1])
local live = 0
for _, id in ipairs(ids) do
  live = live + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return live
`);

/** How many recent tokens' hash and MAC check an instance remembers. */
const RECENT_TOKENS = 10_000;

export interface SessionStore {
  create(user: SessionUser): Promise<{ token: string; session: Session }>;
  /**
   * The user a token was issued to, when its MAC proves we issued it (it may have expired or
   * been revoked since: only `find` says whether the session lives). Undefined otherwise, and
   * while the MAC key cannot be had (Redis down and no SESSION_SECRET).
   */
  verifiedUserId(token: string): Promise<string | undefined>;
  /** Null for an unknown, expired, revoked or malformed token. Rejects only when Redis fails. */
  find(token: string): Promise<Session | null>;
  /** Whether `session` is due for a sliding-expiry refresh (throttled to spare Redis writes). */
  isDueForTouch(session: Session, now?: Date): boolean;
  /** Extends a live session; never recreates one that expired or was revoked meanwhile. */
  touch(session: Session, now?: Date): Promise<Session>;
  revoke(session: Session): Promise<void>;
  /** Deletes every session of the user; resolves to how many were live. */
  revokeAll(userId: string): Promise<number>;
}

/**
 * `mac`: the app's MAC (src/auth/mac.ts); session tokens sign their body as it is (it starts
 * with a user id, so no other signed kind can pass for one).
 * @example const sessions = createSessionStore({ redis, keys, ttlSeconds: 86400, mac: createMac({ redis, keys, secret: undefined }) });
 */
export function createSessionStore(options: { redis: RedisPort; keys: RedisKeys; ttlSeconds: number; mac: Mac }): SessionStore {
  const { redis, keys, mac: macOf } = options;
  // Both are asked on every request that carries a token: remembered for recent tokens
  // (src/memo.ts). A MAC that cannot be checked yet (no key: Redis down) is not remembered.
  const macMatches = memoize(RECENT_TOKENS, async (token) => {
    const parts = TOKEN_PATTERN.exec(token)!;
    return verifyMac(macOf, parts[1]!, parts[3]!);
  });
  const sessionId = memoize(RECENT_TOKENS, async (token) => toBase64Url(await sha256(token)));

  const ttlMs = options.ttlSeconds * 1000;
  // Refresh at most once a minute, or a quarter of the lifetime when that is shorter.
  const touchEveryMs = Math.min(60_000, ttlMs / 4);

  const withExpiry = (id: string, record: SessionRecord): Session => ({
    ...record,
    id,
    expiresAt: new Date(Date.parse(record.lastAccessedAt) + ttlMs).toISOString(),
  });
  const recordOf = ({ id: _id, expiresAt: _expiresAt, ...record }: Session): SessionRecord => record;

  return {
    async create(user) {
      const body = `${user.id}.${toBase64Url(randomBytes(32))}`;
      const token = `${body}.${toBase64Url(await macOf(body))}`;
      const id = await sessionId(token);
      const now = new Date().toISOString();
      const record: SessionRecord = { userId: user.id, email: user.email, roles: user.roles, createdAt: now, lastAccessedAt: now };
      await redis.pipeline([
        ops.set(keys.session(user.id, id), JSON.stringify(record), { pxMs: ttlMs }),
        ops.sadd(keys.userSessions(user.id), [id]),
        ops.pexpire(keys.userSessions(user.id), ttlMs),
      ]);
      return { token, session: withExpiry(id, record) };
    },

    async verifiedUserId(token) {
      if (!isWellFormedToken(token)) return undefined;
      return (await macMatches(token).catch(() => false)) ? claimedUserId(token) : undefined;
    },

    async find(token) {
      if (!isWellFormedToken(token)) return null;
      const id = await sessionId(token);
      // Well-formed, so it names a user; where the record lives, not yet whose it is (checked below).
      const stored = await redis.run(ops.get(keys.session(claimedUserId(token) ?? "", id)));
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
        ops.set(keys.session(session.userId, session.id), JSON.stringify(recordOf(touched)), { pxMs: ttlMs, xx: true }),
        ops.pexpire(keys.userSessions(session.userId), ttlMs),
      ]);
      return written ? touched : session;
    },

    async revoke(session) {
      await redis.pipeline([ops.del(keys.session(session.userId, session.id)), ops.srem(keys.userSessions(session.userId), [session.id])]);
    },

    async revokeAll(userId) {
      return Number(await redis.run(ops.script(revokeAllScript, [keys.userSessions(userId)], [keys.session(userId, "")])));
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
