-- ARGV: prefix, partition, id, json, meta, ttlMs, maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition.
local part, id, json, meta = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, maxEntries, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local partEntries, partBytes = tonumber(ARGV[9]), tonumber(ARGV[10])
for _, expired in ipairs(redis.call('ZRANGEBYSCORE', P .. 'res:exp', '-inf', now)) do remove(expired) end
local member = part .. '/' .. id
remove(member)
local bytes = string.len(json) + string.len(meta)
if bytes > math.min(maxBytes, partBytes) or math.min(maxEntries, partEntries) < 1 then return 0 end
redis.call('HSET', P .. 'res:e:' .. member, 'json', json, 'meta', meta)
redis.call('PEXPIRE', P .. 'res:e:' .. member, ttl)
touch(member, part, id)
redis.call('ZADD', P .. 'res:exp', now + ttl, member)
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes)
redis.call('ZINCRBY', P .. 'res:pn', 1, part)
redis.call('ZINCRBY', P .. 'res:pb', bytes, part)
-- The partition's own bound first: its own results make room.
while (redis.call('ZCARD', P .. 'res:p:' .. part) > partEntries or (tonumber(redis.call('ZSCORE', P .. 'res:pb', part)) or 0) > partBytes) and evictFrom(part) do end
-- Then the store's: the partition holding the most gives way.
while redis.call('ZCARD', P .. 'res:lru') > maxEntries and evictFrom(largest(P .. 'res:pn', part)) do end
while (tonumber(redis.call('GET', P .. 'res:bytes')) or 0) > maxBytes and evictFrom(largest(P .. 'res:pb', part)) do end
return 1
