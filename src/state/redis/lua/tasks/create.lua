-- ARGV: prefix, now, id, owner, ttl, pollInterval, at, hasMessage, message, maxTasks, keyMarginMs,
-- maxTasksPerOwner, maxBytes, maxBytesPerOwner. {0} when made, {1, count} when the store is full,
-- {2, count} when the owner holds its quota.
local id, owner, ttl = ARGV[3], ARGV[4], tonumber(ARGV[5])
dropExpired()
local mine = redis.call('ZCARD', P .. 'tasks:o:' .. owner)
if mine >= tonumber(ARGV[12]) and not dropOldestEnded(nil, owner) then return {2, mine} end
local count = redis.call('ZCARD', P .. 'tasks:all')
if count >= tonumber(ARGV[10]) and not dropOldestEnded(nil, nil) then return {1, count} end
local seq = redis.call('INCR', P .. 'tasks:seq')
local key = P .. 'task:' .. id
redis.call('HSET', key, 'status', 'working', 'createdAt', ARGV[7], 'lastUpdatedAt', ARGV[7], 'ttl', ARGV[5], 'pollInterval', ARGV[6])
if ARGV[8] == '1' then redis.call('HSET', key, 'message', ARGV[9]) end
redis.call('PEXPIRE', key, ttl + tonumber(ARGV[11]))
redis.call('ZADD', P .. 'tasks:all', seq, id)
redis.call('ZADD', P .. 'tasks:exp', now + ttl, id)
redis.call('ZADD', P .. 'tasks:o:' .. owner, seq, id)
redis.call('HSET', P .. 'tasks:owner', id, owner)
grow(id, owner, ARGV[8] == '1' and string.len(ARGV[9]) or 0)
fit(id, owner, tonumber(ARGV[13]), tonumber(ARGV[14]))
return {0}
