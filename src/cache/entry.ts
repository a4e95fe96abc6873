/**
 * How a cache value is stored: a small header Lua can read without a JSON parser, then the
 * payload. `E|<version>|<freshUntilMs>|<json>` is an entry; `T|<version>|<freshUntilMs>|` a
 * tombstone (the thing is known not to exist, as of that version); `P|0|<untilMs>|` marks a
 * write in progress (readers go to the database and may not fill; only the writer replaces
 * it). Anything else is corrupt.
 */
export type CacheEntry<T> =
  | { kind: "entry"; version: number; freshUntil: number; value: T }
  | { kind: "tombstone"; version: number; freshUntil: number }
  | { kind: "pending"; version: 0; freshUntil: number };

const HEADER = /^([ETP])\|(\d+)\|(\d+)\|/;
const LETTER = { entry: "E", tombstone: "T", pending: "P" } as const;

export function encodeEntry(entry: CacheEntry<unknown>): string {
  const head = `${LETTER[entry.kind]}|${entry.version}|${entry.freshUntil}|`;
  return entry.kind === "entry" ? head + JSON.stringify(entry.value) : head;
}

/** Undefined for a value that is not a well-formed entry: callers treat it as a miss. */
export function decodeEntry<T>(raw: string): CacheEntry<T> | undefined {
  const header = HEADER.exec(raw);
  if (!header) return undefined;
  const version = Number(header[2]);
  const freshUntil = Number(header[3]);
  if (header[1] !== "E") {
    if (raw.length !== header[0].length) return undefined;
    return header[1] === "T" ? { kind: "tombstone", version, freshUntil } : { kind: "pending", version: 0, freshUntil };
  }
  try {
    return { kind: "entry", version, freshUntil, value: JSON.parse(raw.slice(header[0].length)) as T };
  } catch {
    return undefined;
  }
}
