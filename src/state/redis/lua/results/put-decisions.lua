-- ARGV: prefix, partition, id, decisions, maxBytes. Keeps review decisions with a live entry (replacing earlier ones), counting their bytes.
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return 0 end
local e = P .. 'res:e:' .. member
local before = tonumber(redis.call('HGET', P .. 'res:size', member)) or 0
local bytes = before - string.len(redis.call('HGET', e, 'decisions') or '') + string.len(ARGV[4])
if bytes > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', e, 'decisions', ARGV[4])
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes - before)
local part = ARGV[2]
redis.call('ZINCRBY', P .. 'res:pb', bytes - before, part)
touch(member, part, ARGV[3])
return 1
