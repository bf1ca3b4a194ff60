-- The prelude of every script (../scripts.ts puts it first; a seam's own prelude follows it).
-- "now" in ms: the time given (the processes' clock, or a test's), or else Redis's TIME, which
-- every replica shares.
local function clock(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Appends the values of list (a record's fields) to out.
local function append(out, list)
  for j = 1, #list do table.insert(out, list[j]) end
end
