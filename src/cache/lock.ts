/**
 * @module
 * Locks with an owner, for work one instance at a time may do (a load of a missed key, a
 * consistency run): only the owner can release one, and one whose owner died expires by itself.
 */
import { randomBytes, toBase64Url } from "../encoding";
import { ops, type Op } from "../redis/commands";
import { releaseLock } from "./scripts";

/** A lock one holder at a time can take: a random owner token, a lifetime, and a release that only that owner's can do. */
export interface OwnedLock {
  /** SET NX PX: true when taken. */
  readonly acquire: Op<boolean>;
  /** Deletes the lock only if this owner still holds it (Lua). */
  readonly release: Op<unknown>;
}

/** @example const lock = ownedLock(keys.lock(key), 5_000); if (await redis.run(lock.acquire)) { …; await redis.run(lock.release); } */
export function ownedLock(key: string, ttlMs: number): OwnedLock {
  const owner = toBase64Url(randomBytes(16));
  return { acquire: ops.set(key, owner, { nx: true, pxMs: ttlMs }), release: ops.script(releaseLock, [key], [owner]) };
}
