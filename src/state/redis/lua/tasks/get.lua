-- ARGV: prefix, now, id, owner. The task's fields, or nil.
if not live(ARGV[3], ARGV[4]) then return false end
return state(ARGV[3])
