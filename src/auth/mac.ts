/**
 * @module
 * The app's MAC (HMAC-SHA-256, truncated to 128 bits), for the tokens it hands clients and must
 * recognise later, and its check in constant time. Its key is SESSION_SECRET or, without one,
 * a random key shared by every instance through Redis. What each token signs is its own
 * module's (./sessions.ts, src/http/middleware/read-your-writes.ts).
 */
import { ops } from "../redis/commands";
import { LuaScript } from "../redis/script";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { constantTimeEqual, randomBytes, toBase64Url } from "../encoding";

/** HMAC-SHA-256 of `body`, truncated to 128 bits. */
export type Mac = (body: string) => Promise<Uint8Array>;

const MAC_BYTES = 16;

/**
 * Stores ARGV[1] under KEYS[1] unless a key is there, and answers the key that is there: one
 * script, so the answer comes from where the write went (with read replicas, a GET beside the
 * SET could be answered by a replica that has not seen it yet).
 */
const keepFirstKey = new LuaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
`);
const hmacKey = (secret: string) =>
  crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

/**
 * The app's one MAC key, for what it hands clients and must recognise later (session
 * tokens, consistency tokens; each signs under its own prefix). `secret`: SESSION_SECRET;
 * without one, a random key kept in Redis (`keys.sessionSecret`, created by whichever
 * instance needs it first) is read once, and asked again after a failure.
 */
export function createMac(options: { redis: RedisPort; keys: RedisKeys; secret: string | undefined }): Mac {
  const { redis, keys } = options;
  let macKey: Promise<CryptoKey> | undefined = options.secret === undefined ? undefined : hmacKey(options.secret);
  const sharedKey = () =>
    (macKey ??= redis
      .run(ops.script(keepFirstKey, [keys.sessionSecret], [toBase64Url(randomBytes(32))]))
      .then((secret) => hmacKey(String(secret)))
      .catch((error: unknown) => {
        macKey = undefined;
        throw error;
      }));
  return async (body) =>
    new Uint8Array(await crypto.subtle.sign("HMAC", await sharedKey(), new TextEncoder().encode(body))).slice(0, MAC_BYTES);
}

const encoder = new TextEncoder();

/**
 * Whether `tag` is the MAC of `body` exactly as we issue it: the canonical base64url text,
 * compared as text (in constant time). A tag decoded first would also match in a form we
 * never issued: the last character of a 16-byte MAC carries 4 unused bits that decoders drop,
 * so up to 16 spellings name the same bytes. Rejects when the key cannot be had (as `mac`).
 * @example if (await verifyMac(mac, body, tag)) { ... }
 */
export async function verifyMac(mac: Mac, body: string, tag: string): Promise<boolean> {
  return constantTimeEqual(encoder.encode(tag), encoder.encode(toBase64Url(await mac(body))));
}
