-- ARGV: prefix, now, id, owner, at, hasMessage, message, hasPoll, pollInterval, maxBytes, maxBytesPerOwner. {1, fields…} when changed, {2, status} when ended, {0} when unknown.
local id = ARGV[3]
if not live(id, ARGV[4]) then return {0} end
local key = P .. 'task:' .. id
local status = redis.call('HGET', key, 'status')
if isEnded(status) then return {2, status} end
if ARGV[6] == '1' then
  grow(id, ARGV[4], string.len(ARGV[7]) - string.len(redis.call('HGET', key, 'message') or ''))
  redis.call('HSET', key, 'message', ARGV[7])
  fit(id, ARGV[4], tonumber(ARGV[10]), tonumber(ARGV[11]))
end
if ARGV[8] == '1' then redis.call('HSET', key, 'pollInterval', ARGV[9]) end
redis.call('HSET', key, 'lastUpdatedAt', ARGV[5])
local out = state(id)
table.insert(out, 1, 1)
return out
