-- ARGV: prefix, now, id, owner. The result's JSON, or nil.
if not live(ARGV[3], ARGV[4]) then return false end
return redis.call('HGET', P .. 'task:' .. ARGV[3], 'result')
