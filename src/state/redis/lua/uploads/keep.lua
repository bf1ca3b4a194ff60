-- ARGV: prefix, now, id, owner, ownerKey, path, filename, size, expiresAt, maxCount, maxBytes.
-- Keeps a sent upload; {id, fields…, …} of the owner's oldest kept uploads removed past the bounds.
local id, expiresAt = ARGV[3], tonumber(ARGV[9])
local kept = P .. 'up:k:' .. ARGV[5]
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', ARGV[6], 'filename', ARGV[7], 'size', ARGV[8], 'expiresAt', ARGV[9], 'kept', '1')
local keep = keepFor(expiresAt)
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', kept, now, id)
redis.call('PEXPIRE', kept, keep)
redis.call('ZADD', P .. 'up:kept', now, id)
local ids, sizes, count, bytes = {}, {}, 0, 0
for _, other in ipairs(redis.call('ZRANGE', kept, 0, -1)) do
  local size = tonumber(redis.call('HGET', P .. 'up:' .. other, 'size'))
  if size then
    table.insert(ids, other)
    count = count + 1
    bytes = bytes + size
    sizes[other] = size
  else
    redis.call('ZREM', kept, other)
  end
end
local out = {}
for _, other in ipairs(ids) do
  if count <= tonumber(ARGV[10]) and bytes <= tonumber(ARGV[11]) then break end
  local record = take(other)
  count = count - 1
  bytes = bytes - sizes[other]
  table.insert(out, other)
  append(out, record)
end
return out
