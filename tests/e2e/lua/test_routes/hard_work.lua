-- GET /hard/work?ms=M&times=N: N rounds of M ms of busy Lua work, with a
-- 50 ms gw.sleep after each round. Only the work counts against the
-- time budget.
local gw = require "gw"
local now = require("gw.time").now

return function(req, ctx)
  local ms = tonumber(req:query "ms") or 10
  local times = tonumber(req:query "times") or 1
  for i = 1, times do
    local stop = now() + ms / 1000
    while now() < stop do
    end
    gw.sleep(50)
  end
  return 200, { ok = true }
end
