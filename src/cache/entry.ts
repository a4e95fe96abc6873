/**
 * @module
 * How a cache value is stored: a small header Lua can read without a JSON parser, then the
 * payload.
 *
 *   E|<version>|<freshUntilMs>|<schema>|<json>   an entry; `schema` numbers the payload's shape
 *   T|<version>|<freshUntilMs>|                  a tombstone: known not to exist, as of that version
 *   P|<floor>|<untilMs>|<writers>|<previous>     a write in progress (src/cache/scripts.ts)
 *   F|<version>|0|                               a floor: racing writers committed this version,
 *                                                but its value never reached the cache
 *
 * A marker names the writers still in flight (comma-separated random tokens), the highest
 * version any of them committed so far (`floor`), and the entry it replaced (`previous`,
 * restored when every writer gave up without committing). Readers go to the database and
 * fill nothing while it stands. A floor is a miss whose fills must be at least its version:
 * a reader whose database answered from a replica behind that write cannot fill what it
 * read. An entry of another schema (written by an older or newer
 * deploy) is a miss for this one; anything else unreadable is corrupt.
 */

/** A stored value as read back: its kind and header (an entry's payload stays JSON text). */
export type CacheEntry =
  | {
      kind: "entry";
      version: number;
      freshUntil: number;
      schema: number /** The payload as stored: parsed only by whoever needs the value. */;
      json: string;
    }
  | { kind: "tombstone"; version: number; freshUntil: number }
  | { kind: "pending"; version: number; freshUntil: number }
  | { kind: "floor"; version: number; freshUntil: number };

/** What a fill or write-through stores: an entry (of a value) or a tombstone. */
export type NewEntry =
  | { kind: "entry"; version: number; freshUntil: number; schema: number; value: unknown }
  | { kind: "tombstone"; version: number; freshUntil: number };

const ENTRY_HEADER = /^E\|(\d+)\|(\d+)\|(\d+)\|/;
const TOMBSTONE = /^T\|(\d+)\|(\d+)\|$/;
const MARKER_HEADER = /^P\|(\d+)\|(\d+)\|/;
const FLOOR = /^F\|(\d+)\|(\d+)\|$/;
const OTHER_KINDS = { T: "tombstone", P: "pending", F: "floor" } as const;

export function encodeEntry(entry: NewEntry): string {
  if (entry.kind === "tombstone") return `T|${entry.version}|${entry.freshUntil}|`;
  return `E|${entry.version}|${entry.freshUntil}|${entry.schema}|${JSON.stringify(entry.value)}`;
}

/** The version and schema of a well-formed entry header, whatever the payload; undefined for anything else. */
export function entryHeaderOf(raw: string): { version: number; schema: number } | undefined {
  const header = ENTRY_HEADER.exec(raw);
  return header ? { version: Number(header[1]), schema: Number(header[3]) } : undefined;
}

/**
 * Undefined for a value that is not a well-formed entry of `schema`: callers treat it as a
 * miss. The payload is not parsed here (a cached read can pass it on as it is); only its
 * outline is checked — an object — which catches truncation, while the consistency run,
 * which parses every payload, finds anything subtler.
 */
export function decodeEntry(raw: string, schema: number): CacheEntry | undefined {
  const entry = ENTRY_HEADER.exec(raw);
  if (entry) {
    const json = raw.slice(entry[0].length);
    if (Number(entry[3]) !== schema || !json.startsWith("{") || !json.endsWith("}")) return undefined;
    return { kind: "entry", version: Number(entry[1]), freshUntil: Number(entry[2]), schema, json };
  }
  const other = TOMBSTONE.exec(raw) ?? MARKER_HEADER.exec(raw) ?? FLOOR.exec(raw);
  if (!other) return undefined;
  return { kind: OTHER_KINDS[raw[0] as keyof typeof OTHER_KINDS], version: Number(other[1]), freshUntil: Number(other[2]) };
}
