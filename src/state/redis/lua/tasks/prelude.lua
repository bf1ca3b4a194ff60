-- The common part of every script. ARGV[1] is the key prefix, ARGV[2] the time (ms, the
-- processes' clock: a task's createdAt and its expiry are on one clock). A task is a hash at
-- P..'task:'..id; it is listed in tasks:all (by creation), tasks:ended (ended ones, by
-- creation: the first to make room), tasks:exp (by expiry) and its owner's tasks:o:<owner>
-- (by creation); tasks:owner and tasks:size map it to its owner and its bytes (result and status
-- message), so an entry is always removed whole; tasks:bytes counts them, tasks:obytes per owner.
local P = ARGV[1]
local now = clock(ARGV[2])
local FIELDS = {'status', 'message', 'createdAt', 'lastUpdatedAt', 'ttl', 'pollInterval'}
local function remove(id)
  local owner = redis.call('HGET', P .. 'tasks:owner', id)
  if owner then redis.call('ZREM', P .. 'tasks:o:' .. owner, id) end
  local size = tonumber(redis.call('HGET', P .. 'tasks:size', id))
  if size then
    redis.call('DECRBY', P .. 'tasks:bytes', size)
    if owner and redis.call('HINCRBY', P .. 'tasks:obytes', owner, -size) <= 0 then redis.call('HDEL', P .. 'tasks:obytes', owner) end
  end
  redis.call('HDEL', P .. 'tasks:owner', id)
  redis.call('HDEL', P .. 'tasks:size', id)
  redis.call('ZREM', P .. 'tasks:all', id)
  redis.call('ZREM', P .. 'tasks:ended', id)
  redis.call('ZREM', P .. 'tasks:exp', id)
  redis.call('DEL', P .. 'task:' .. id)
end
local function dropExpired()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'tasks:exp', '-inf', now)) do remove(id) end
end
-- Whether the task is there, unexpired, and the owner's; an expired one goes as it is met.
local function live(id, owner)
  local expires = tonumber(redis.call('ZSCORE', P .. 'tasks:exp', id))
  if not expires then return false end
  if expires <= now or redis.call('EXISTS', P .. 'task:' .. id) == 0 then
    remove(id)
    return false
  end
  return redis.call('HGET', P .. 'tasks:owner', id) == owner
end
local function isEnded(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled'
end
-- Drops the oldest ended task (of owner, when given) other than keep; false when there is none.
local function dropOldestEnded(keep, owner)
  -- An owner's tasks are few (its quota): its own list is walked; of all, the two oldest ended
  -- (one may be keep).
  local ids
  if owner then ids = redis.call('ZRANGE', P .. 'tasks:o:' .. owner, 0, -1) else ids = redis.call('ZRANGE', P .. 'tasks:ended', 0, 1) end
  for _, id in ipairs(ids) do
    if id ~= keep and (not owner or isEnded(redis.call('HGET', P .. 'task:' .. id, 'status'))) then
      remove(id)
      return true
    end
  end
  return false
end
-- Counts a change of a task's bytes (result and message), for the store and for its owner.
local function grow(id, owner, delta)
  redis.call('HINCRBY', P .. 'tasks:size', id, delta)
  redis.call('HINCRBY', P .. 'tasks:obytes', owner, delta)
  redis.call('INCRBY', P .. 'tasks:bytes', delta)
end
-- Keeps the byte bounds, the owner's first (its own oldest ended tasks go), then the store's; keep stays.
local function fit(keep, owner, maxBytes, maxOwnerBytes)
  while (tonumber(redis.call('HGET', P .. 'tasks:obytes', owner)) or 0) > maxOwnerBytes and dropOldestEnded(keep, owner) do end
  while (tonumber(redis.call('GET', P .. 'tasks:bytes')) or 0) > maxBytes and dropOldestEnded(keep, nil) do end
end
local function state(id)
  return redis.call('HMGET', P .. 'task:' .. id, unpack(FIELDS))
end
