import { sha256, toBase64Url } from "./encoding";

/**
 * Hashes identities (client addresses, emails) before they become Redis keys — no personal
 * data in keys — and remembers recent results: a SHA-256 per request was a measurable part of
 * the hot path (BENCHMARKS.md). At most `maxEntries` are kept; the oldest go first.
 * @example const hash = createIdentityHasher(10_000); await hash("203.0.113.7"); // "q3…" (22 chars)
 */
export function createIdentityHasher(maxEntries: number): (value: string) => Promise<string> {
  const known = new Map<string, string>();
  return async (value) => {
    const cached = known.get(value);
    if (cached !== undefined) return cached;
    const hashed = toBase64Url((await sha256(value)).slice(0, 16));
    const oldest = known.size >= maxEntries ? known.entries().next().value : undefined;
    if (oldest) known.delete(oldest[0]);
    known.set(value, hashed);
    return hashed;
  };
}
