-- ARGV: prefix, partition, id, review key, review, maxBytes. Keeps a verdict with a live entry, counting its bytes.
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return 0 end
local e = P .. 'res:e:' .. member
local before = tonumber(redis.call('HGET', P .. 'res:size', member)) or 0
local old = string.len(redis.call('HGET', e, 'review_key') or '') + string.len(redis.call('HGET', e, 'review') or '')
local bytes = before - old + string.len(ARGV[4]) + string.len(ARGV[5])
if bytes > tonumber(ARGV[6]) then return 0 end
redis.call('HSET', e, 'review_key', ARGV[4], 'review', ARGV[5])
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes - before)
return 1
