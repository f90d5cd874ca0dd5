-- GET /hard/membomb: grows a table of distinct strings without end; the
-- per-VM memory cap must stop it.
return function(req, ctx)
  local t = {}
  local i = 0
  while true do
    i = i + 1
    t[i] = string.rep("m", 1000) .. i
  end
end
