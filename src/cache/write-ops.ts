/**
 * @module
 * The commands a writer's keys get (shared/DESIGN.md "Cache consistency protocol"): its
 * marker before the database write; after it, the new entry or a tombstone, or, when it
 * committed nothing, its leave from the marker. Each names the writer by its random token so
 * that a writer only ever clears its own mark. Sending them is ./write-through.ts's.
 */
import { randomBytes, toBase64Url } from "../encoding";
import { ops, type Op } from "../redis/commands";
import { encodeEntry, type NewEntry } from "./entry";
import { hardTtlMs, type CachePolicy } from "./policy";
import { markWrite, versionedFill } from "./scripts";

/** A writer's deadline: past it, its mark no longer keeps readers off the cache (a dead instance must not pin the key). */
const PENDING_MS = 10_000;

export const newWriter = () => toBase64Url(randomBytes(12));

export function markWriteOp(key: string, writer: string): Op<unknown> {
  const now = Date.now();
  return ops.script(markWrite, [key], [writer, now + PENDING_MS, PENDING_MS, now]);
}

/** A writer's write-through after its commit (`writer`: its token); see versionedFill. */
const writerFillOp = (key: string, entry: NewEntry | undefined, ttlMs: number, writer: string) =>
  ops.script(versionedFill, [key], [entry?.version ?? 0, entry ? encodeEntry(entry) : "", ttlMs, writer, Date.now()]);

export const putOp = (key: string, version: number, value: unknown, policy: CachePolicy, writer: string) =>
  writerFillOp(
    key,
    { kind: "entry", version, freshUntil: Date.now() + policy.freshMs, schema: policy.schema, value },
    hardTtlMs(policy),
    writer,
  );

export function tombstoneOp(key: string, version: number, policy: CachePolicy, writer: string): Op<unknown> {
  const lifetime = policy.freshMs + policy.graceMs;
  return writerFillOp(key, { kind: "tombstone", version, freshUntil: Date.now() + lifetime }, lifetime, writer);
}

export const abandonOp = (key: string, policy: CachePolicy, writer: string) => writerFillOp(key, undefined, hardTtlMs(policy), writer);
