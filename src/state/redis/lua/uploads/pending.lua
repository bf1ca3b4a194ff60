-- ARGV: prefix, now, ownerKey. {count, bytes} of the owner's uploads not expired.
local own = P .. 'up:o:' .. ARGV[3]
redis.call('ZREMRANGEBYSCORE', own, '-inf', now)
local count, bytes = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', own, '(' .. now, '+inf')) do
  local size = tonumber(redis.call('HGET', P .. 'up:' .. id, 'size'))
  if size then
    count = count + 1
    bytes = bytes + size
  end
end
return {count, bytes}
