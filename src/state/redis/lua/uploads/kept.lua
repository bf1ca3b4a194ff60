-- ARGV: prefix, now, id, owner. The fields of a kept upload of this owner not expired, or {}.
local record = redis.call('HMGET', P .. 'up:' .. ARGV[3], unpack(FIELDS))
if record[1] ~= ARGV[4] or redis.call('HEXISTS', P .. 'up:' .. ARGV[3], 'kept') ~= 1 or tonumber(record[5]) <= now then return {} end
return record
