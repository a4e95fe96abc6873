/**
 * @module
 * The cache's Lua scripts, each one atomic step on Redis: the write markers and versioned
 * fills of the consistency protocol (shared/DESIGN.md), the cache epoch, the owner-only lock
 * release, the list generation and write window, the fill budget, and the checked replacement
 * and partial read the consistency run uses. Each documents its KEYS and ARGV; the stored
 * format is ./entry.ts's.
 */
import { LuaScript } from "../redis/script";

/**
 * Marks KEYS[1] as being written by ARGV[1] (a writer's random token) until ARGV[2] (epoch
 * ms, the writer's own deadline), PX ARGV[3]; ARGV[4] is now (epoch ms). A marker already
 * there gains the writer (its floor and previous entry stay); otherwise the entry or
 * tombstone it replaces is kept inside, to be restored if every writer gives up without
 * committing. Writers past their deadline are dropped (a dead instance must not pin the
 * marker while others keep renewing it); since such a writer may have committed, the entry
 * the marker replaced can no longer be restored: `previous` becomes '!' (see versionedFill).
 * Format: src/cache/entry.ts.
 */
export const markWrite = new LuaScript(`
local current = redis.call('GET', KEYS[1])
local floor, writers, previous = '0', ARGV[1] .. '@' .. ARGV[2], ''
if current then
  local f, w, p = string.match(current, '^P|(%d+)|%d+|([^|]*)|?(.*)$')
  if f then
    floor, previous = f, p
    for writer, deadline in string.gmatch(w, '([^,@]+)@(%d+)') do
      if tonumber(deadline) > tonumber(ARGV[4]) then
        writers = writers .. ',' .. writer .. '@' .. deadline
      else
        previous = '!'
      end
    end
  elseif string.match(current, '^[ETF]|%d+|%d+|') then
    previous = current
  end
end
redis.call('SET', KEYS[1], 'P|' .. floor .. '|' .. ARGV[2] .. '|' .. writers .. '|' .. previous, 'PX', ARGV[3])
return 1
`);

/**
 * Version-guarded fill: writes ARGV[2] (an encoded entry of version ARGV[1]) with PX ARGV[3],
 * unless the key holds an entry or tombstone of a HIGHER version. ARGV[4] is the writer's
 * token after a database commit, '' for a reader; ARGV[5] is now (epoch ms).
 *
 * A reader's fill also names the cache epoch it read before its database load (KEYS[2],
 * ARGV[6]): when Redis lost its data since (restart, flush, failover to an empty replica) the
 * epoch key is gone or new, and the fill is refused — its load may predate a write whose
 * marker was lost with the data.
 *
 * A write-in-progress marker is never replaced by a reader; a writer takes itself off it
 * (dropping writers past their deadline), and:
 *   - other writers still in flight: the marker stays (their commits may be newer), and
 *     remembers the highest version committed so far (its floor);
 *   - it was the last one: its value is written if at least the floor, else a floor entry
 *     'F|<floor>|0|' replaces the marker (a newer version was committed whose value it does
 *     not have: readers load it, and only a load of at least that version fills). After a
 *     writer was dropped as dead (previous = '!'), the last one leaves a floor too: the dead
 *     one may have committed a newer version than its own.
 * ARGV[2] = '' is a writer giving up without committing: when it was the last writer and
 * nobody committed, the entry the marker replaced comes back (PX ARGV[3]); when others
 * committed, the floor of what they committed.
 * A floor, an entry or a tombstone of a higher version than ARGV[1] is never replaced.
 * A corrupt value has no readable version and is overwritten. Returns 1 when written, else 0.
 */
export const versionedFill = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[4] == '' and redis.call('GET', KEYS[2]) ~= ARGV[6] then return 0 end
if current and string.sub(current, 1, 2) == 'P|' then
  if ARGV[4] == '' then return 0 end
  local floor, untilMs, writers, previous = string.match(current, '^P|(%d+)|(%d+)|([^|]*)|?(.*)$')
  local others = {}
  for writer, deadline in string.gmatch(writers or '', '([^,@]+)@(%d+)') do
    if writer ~= ARGV[4] then
      if tonumber(deadline) > tonumber(ARGV[5]) then
        table.insert(others, writer .. '@' .. deadline)
      else
        previous = '!'
      end
    end
  end
  local highest = math.max(tonumber(floor) or 0, tonumber(ARGV[1]))
  if #others > 0 then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then
      redis.call('SET', KEYS[1], 'P|' .. highest .. '|' .. untilMs .. '|' .. table.concat(others, ',') .. '|' .. previous, 'PX', ttl)
    end
    return 0
  end
  if ARGV[2] == '' then
    if highest > 0 then
      redis.call('SET', KEYS[1], 'F|' .. highest .. '|0|', 'PX', ARGV[3])
    elseif previous ~= '' and previous ~= '!' then
      redis.call('SET', KEYS[1], previous, 'PX', ARGV[3])
    else
      redis.call('DEL', KEYS[1])
    end
    return 0
  end
  if tonumber(ARGV[1]) < highest or previous == '!' then
    redis.call('SET', KEYS[1], 'F|' .. highest .. '|0|', 'PX', ARGV[3])
    return 0
  end
elseif ARGV[2] == '' then
  return 0
elseif current then
  local version = string.match(current, '^[ETF]|(%d+)|')
  if version and tonumber(version) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/**
 * The cache epoch of KEYS[1]'s hash slot (src/redis/keys.ts): its id, or ARGV[1] (a new
 * random id) stored as the new one when there is none — Redis lost its data, or this is its
 * first use. Read before every database load that may fill; the fill names it (versionedFill).
 */
export const cacheEpoch = new LuaScript(`
local id = redis.call('GET', KEYS[1])
if id then return id end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
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

/** Decrements the counter KEYS[1], deleting it at zero (or when it had expired: no negative counter without a TTL). */
export const decrementToZero = new LuaScript(`
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
return 1
`);

/**
 * The first ARGV[1] bytes of KEYS[1] and its length in bytes, or nil when it does not exist:
 * for a background job that must choose what to read in full without reading everything
 * (one reply of a thousand large values would hold Redis up for every request meanwhile).
 */
export const headOf = new LuaScript(`
local length = redis.call('STRLEN', KEYS[1])
if length == 0 then return false end
return {redis.call('GETRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1), length}
`);

/**
 * Counts one fill against the budget KEYS[1]: ARGV[1] fills per window of ARGV[2] ms (the
 * window starts with its first fill). Returns 1 when this one is within it, else 0.
 */
export const takeBudget = new LuaScript(`
local filled = redis.call('INCR', KEYS[1])
if filled == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if filled <= tonumber(ARGV[1]) then return 1 end
return 0
`);

/**
 * Moves the generation KEYS[1] on by one. A generation that is missing (Redis lost it: a
 * restart, an eviction) starts again at ARGV[1], the time in microseconds — above every
 * generation before the loss (unless over a million bumps a second) — so no list filled under
 * an old generation can ever be current again (lists are current at exactly the generation).
 */
export const bumpGeneration = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('INCR', KEYS[1])
return 1
`);
