/**
 * @module
 * Remembering an async function's results, a bounded number of them: hashes the hot path
 * would otherwise compute on every request, bodies made once per app.
 */

/**
 * Remembers an async function's results by key, at most `maxEntries` of them (the least
 * recently used go first); a rejected result is forgotten, so the next call tries again.
 * A remembered result is an already settled promise, and awaiting it takes no trip to the
 * thread pool as a WebCrypto digest does, so a request's Redis commands still leave in one
 * tick (src/redis/port.ts).
 * @example const hash = memoize(10_000, (value) => sha256(value)); await hash("203.0.113.7");
 */
export function memoize<T>(maxEntries: number, compute: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const known = new Map<string, Promise<T>>();
  return (key) => {
    const remembered = known.get(key);
    if (remembered) {
      known.delete(key);
      known.set(key, remembered);
      return remembered;
    }
    const result = compute(key);
    result.catch(() => known.delete(key));
    if (known.size >= maxEntries) known.delete(known.entries().next().value![0]);
    known.set(key, result);
    return result;
  };
}
