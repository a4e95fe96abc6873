/**
 * @module
 * Password hashing: PBKDF2-SHA256 through WebCrypto, so the same code hashes on Workers and
 * Node. workerd refuses more than 100,000 iterations, which is therefore the ceiling here. The
 * stored string names its algorithm, iterations and salt (`pbkdf2-sha256$100000$<salt>$<hash>`),
 * so a later release can raise the cost and still verify old hashes.
 *
 * Written by hand because no maintained library offers PBKDF2 over WebCrypto with a
 * self-describing format that runs in workerd (bcrypt/argon2 packages need native code or WASM).
 */
import { constantTimeEqual, fromBase64Url, randomBytes, toBase64Url } from "../encoding";

const ALGORITHM = "pbkdf2-sha256";
const ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

async function derive(password: string, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, length * 8);
  return new Uint8Array(bits);
}

/** @example const stored = await hashPassword("correct horse battery staple"); */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, ITERATIONS, HASH_BYTES);
  return `${ALGORITHM}$${ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/** False for a wrong password and for a stored value it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iterationsText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  if (algorithm !== ALGORITHM || !Number.isInteger(iterations) || iterations < 1 || iterations > ITERATIONS || !saltText || !hashText) {
    return false;
  }
  const expected = fromBase64Url(hashText);
  const actual = await derive(password, fromBase64Url(saltText), iterations, expected.length);
  return constantTimeEqual(actual, expected);
}

/**
 * The hash of a random, discarded password. Login verifies against it when the email is
 * unknown, so both failures cost one full PBKDF2 and answer alike.
 */
export const UNKNOWN_USER_HASH = "pbkdf2-sha256$100000$BTN-4dovwDRZXTTc0fXygA$H018wjNHvW5OF8JsYOzRHsE-saf7R-4rjNTkRpFatLU";
