-- ARGV: prefix, partition, id. Returns {decisions} of a live entry, or nil.
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return false end
return redis.call('HMGET', P .. 'res:e:' .. member, 'decisions')
