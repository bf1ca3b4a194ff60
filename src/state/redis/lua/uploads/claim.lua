-- ARGV: prefix, now, id, owner, usedRememberedMs. {'ok', fields…}, {'expired', fields…}, {'used'} or {'unknown'}.
local id, owner = ARGV[3], ARGV[4]
if redis.call('HGET', P .. 'up:' .. id, 'owner') ~= owner or redis.call('HEXISTS', P .. 'up:' .. id, 'arriving') == 1 or redis.call('HEXISTS', P .. 'up:' .. id, 'kept') == 1 then
  if redis.call('GET', P .. 'up:used:' .. id) == owner then return {'used'} end
  return {'unknown'}
end
local record = take(id)
if tonumber(record[5]) <= now then
  table.insert(record, 1, 'expired')
  return record
end
redis.call('SET', P .. 'up:used:' .. id, owner, 'PX', ARGV[5])
table.insert(record, 1, 'ok')
return record
