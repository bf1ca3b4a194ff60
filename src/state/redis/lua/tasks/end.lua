-- ARGV: prefix, now, id, owner, at, status, result, hasMessage, message, maxBytes, channel, announcement, maxBytesPerOwner. 1 when ended now.
local id, owner = ARGV[3], ARGV[4]
if not live(id, owner) then return 0 end
local key = P .. 'task:' .. id
if isEnded(redis.call('HGET', key, 'status')) then return 0 end
local before = tonumber(redis.call('HGET', P .. 'tasks:size', id)) or 0
redis.call('HSET', key, 'status', ARGV[6], 'lastUpdatedAt', ARGV[5], 'result', ARGV[7])
if ARGV[8] == '1' then redis.call('HSET', key, 'message', ARGV[9]) end
grow(id, owner, string.len(ARGV[7]) + string.len(redis.call('HGET', key, 'message') or '') - before)
redis.call('ZADD', P .. 'tasks:ended', redis.call('ZSCORE', P .. 'tasks:all', id), id)
fit(id, owner, tonumber(ARGV[10]), tonumber(ARGV[13]))
redis.call('PUBLISH', ARGV[11], ARGV[12])
return 1
