-- Records slots: each member with how many ms ago its request ended (-1: still in flight, held
-- for its lease). Settles, the settles that failed while Redis was away, and the slots granted
-- locally meanwhile all go through it. ARGV: windowMs, leaseMs, the test clock's now (empty:
-- TIME), then member, ago pairs.
local now = clock(ARGV[3])
local windowMs, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 4, #ARGV, 2 do
  local ago = tonumber(ARGV[i + 1])
  if ago < 0 then
    redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
  elseif ago < windowMs then
    redis.call('ZADD', KEYS[1], now - ago, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], windowMs + lease)
return 1
