-- ARGV: prefix, now, ids… The end status of each, or nil while it runs or when it is gone.
local out = {}
for i = 3, #ARGV do
  local status = redis.call('HGET', P .. 'task:' .. ARGV[i], 'status')
  if isEnded(status) then out[i - 2] = status else out[i - 2] = false end
end
return out
