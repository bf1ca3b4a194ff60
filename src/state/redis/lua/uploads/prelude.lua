-- ARGV[1] is the key prefix, ARGV[2] the time (ms, the processes' clock, as the expiries). An
-- upload is a hash at P..'up:'..id, listed in up:exp (by expiry: the sweep) and in its owner's
-- up:o:<owner> (by expiry: what is pending); a used one leaves P..'up:used:'..id = its owner. An
-- upload still arriving is the same hash with an `arriving` field (its size: the bytes reserved).
-- A kept upload (sent, kept for its review) has a `kept` field, is listed in up:exp by its new
-- expiry, in its owner's up:k:<owner> and in up:kept (by the time it was kept: the oldest goes
-- first), not in up:o.
local P = ARGV[1]
local now = clock(ARGV[2])
local FIELDS = {'owner', 'path', 'filename', 'size', 'expiresAt', 'ownerKey'}
-- How long a record is kept in Redis: a safety net for a deployment that stops sweeping, it
-- outlives its expiry by a day (counted from now, so Redis's clock and the processes' need not agree).
local function keepFor(expiresAt)
  return math.max(expiresAt - now, 0) + 86400000
end
local function take(id)
  local record = redis.call('HMGET', P .. 'up:' .. id, unpack(FIELDS))
  redis.call('DEL', P .. 'up:' .. id)
  redis.call('ZREM', P .. 'up:exp', id)
  redis.call('ZREM', P .. 'up:kept', id)
  if record[6] then
    redis.call('ZREM', P .. 'up:o:' .. record[6], id)
    redis.call('ZREM', P .. 'up:k:' .. record[6], id)
  end
  return record
end
