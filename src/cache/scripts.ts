import { LuaScript } from "../redis/script";

/**
 * Version-guarded fill: writes ARGV[2] (an encoded entry of version ARGV[1]) with PX ARGV[3],
 * unless the key holds an entry or tombstone of a HIGHER version, or a write-in-progress
 * marker and the caller is a reader (ARGV[4] = "0"; writers pass "1"). A corrupt value has
 * no readable version and is overwritten. Returns 1 when written, 0 when refused.
 */
export const versionedFill = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then
  local kind, version = string.match(current, '^([ETP])|(%d+)|')
  if kind == 'P' and ARGV[4] ~= '1' then return 0 end
  if kind ~= 'P' and tonumber(version) and tonumber(version) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/**
 * Replaces KEYS[1] only if it still holds exactly ARGV[1] (the value a background job
 * examined): with ARGV[2] and PX ARGV[3], or deletes it when ARGV[2] is empty. Returns 1
 * when done, 0 when the key changed meanwhile (then the newer value stands).
 */
export const replaceIfUnchanged = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`);

/** Deletes the lock KEYS[1] only if ARGV[1] (the owner's random token) still holds it. */
export const releaseLock = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
