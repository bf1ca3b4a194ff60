-- ARGV: prefix, partition, id. Returns {json, meta, review key, review, decisions} or nil, and marks the entry used.
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return false end
touch(member, ARGV[2], ARGV[3])
return redis.call('HMGET', P .. 'res:e:' .. member, 'json', 'meta', 'review_key', 'review', 'decisions')
