-- ARGV: prefix, partition. Returns {id, meta, id, meta…}, least recently used first.
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'res:p:' .. ARGV[2], 0, -1)) do
  local member = ARGV[2] .. '/' .. id
  if live(member) then
    table.insert(out, id)
    table.insert(out, redis.call('HGET', P .. 'res:e:' .. member, 'meta'))
  end
end
return out
