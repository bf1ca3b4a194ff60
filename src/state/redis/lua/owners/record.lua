-- ARGV: prefix, kind:id, owner, keySafe(owner), ttlMs, perCaller.
local now = clock()
local P, member, owner = ARGV[1], ARGV[2], ARGV[3]
local ttl, max = tonumber(ARGV[5]), tonumber(ARGV[6])
local key = P .. 'own:' .. member
local current = redis.call('GET', key)
if current and current ~= owner then return 0 end
redis.call('SET', key, owner, 'PX', ttl)
local own = P .. 'own:c:' .. ARGV[4]
redis.call('ZADD', own, now, member)
redis.call('ZREMRANGEBYSCORE', own, '-inf', now - ttl)
local over = redis.call('ZCARD', own) - max
if over > 0 then
  for _, old in ipairs(redis.call('ZRANGE', own, 0, over - 1)) do
    if redis.call('GET', P .. 'own:' .. old) == owner then redis.call('DEL', P .. 'own:' .. old) end
  end
  redis.call('ZREMRANGEBYRANK', own, 0, over - 1)
end
redis.call('PEXPIRE', own, ttl)
return 1
