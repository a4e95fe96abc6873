/**
 * @module
 * Identities (client addresses, emails) hashed before they become Redis keys, so that no
 * personal data sits in keys.
 */
import { sha256, toBase64Url } from "../encoding";
import { memoize } from "../memo";

/**
 * A hasher of identities (the first 128 bits of their SHA-256, base64url) that remembers
 * recent results: a SHA-256 per request was a measurable part of the hot path
 * (BENCHMARKS.md). At most `maxEntries` are kept.
 * @example const hash = createIdentityHasher(10_000); await hash("203.0.113.7"); // "q3…" (22 chars)
 */
export function createIdentityHasher(maxEntries: number): (value: string) => Promise<string> {
  return memoize(maxEntries, async (value) => toBase64Url((await sha256(value)).slice(0, 16)));
}
