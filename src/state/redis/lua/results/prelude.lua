-- The common part of every script. ARGV[1] is the key prefix. An entry `part/id` is a hash
-- (json, meta) at P..'res:e:'..member; it is listed in res:lru (by last use), res:exp (by
-- expiry), res:size (its bytes) and its partition's res:p:<part> (by last use), and counted in
-- res:bytes; res:pn and res:pb rank the partitions by the results and bytes they hold. res:seq
-- numbers the uses.
local now = clock()
local P = ARGV[1]
-- Uses are ordered by a counter, not the clock: two in one millisecond must still be ordered.
local function touch(member, part, id)
  local seq = redis.call('INCR', P .. 'res:seq')
  redis.call('ZADD', P .. 'res:lru', seq, member)
  redis.call('ZADD', P .. 'res:p:' .. part, seq, id)
end
local function remove(member)
  local slash = string.find(member, '/', 1, true)
  redis.call('DEL', P .. 'res:e:' .. member)
  redis.call('ZREM', P .. 'res:lru', member)
  redis.call('ZREM', P .. 'res:exp', member)
  redis.call('ZREM', P .. 'res:p:' .. string.sub(member, 1, slash - 1), string.sub(member, slash + 1))
  local size = tonumber(redis.call('HGET', P .. 'res:size', member))
  if size then
    local part = string.sub(member, 1, slash - 1)
    redis.call('HDEL', P .. 'res:size', member)
    redis.call('DECRBY', P .. 'res:bytes', size)
    if tonumber(redis.call('ZINCRBY', P .. 'res:pn', -1, part)) <= 0 then redis.call('ZREM', P .. 'res:pn', part) end
    if tonumber(redis.call('ZINCRBY', P .. 'res:pb', -size, part)) <= 0 then redis.call('ZREM', P .. 'res:pb', part) end
  end
end
-- The partition ranked first in z (res:pn or res:pb); of equals, part.
local function largest(z, part)
  local top = redis.call('ZREVRANGE', z, 0, 0, 'WITHSCORES')
  if #top == 0 then return nil end
  local mine = tonumber(redis.call('ZSCORE', z, part))
  if mine and mine >= tonumber(top[2]) then return part end
  return top[1]
end
-- Removes the least recently used result of a partition; false when it holds none.
local function evictFrom(part)
  if not part then return false end
  local oldest = redis.call('ZRANGE', P .. 'res:p:' .. part, 0, 0)
  if #oldest == 0 then return false end
  remove(part .. '/' .. oldest[1])
  return true
end
local function live(member)
  local expires = tonumber(redis.call('ZSCORE', P .. 'res:exp', member))
  if expires and expires > now and redis.call('EXISTS', P .. 'res:e:' .. member) == 1 then return true end
  remove(member)
  return false
end
