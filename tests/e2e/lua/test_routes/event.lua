-- GET /event/wait?ms=N waits on one event of this worker; GET /event/set
-- sets it (and clears it for the next round after the waiters woke).
local event = require "gw.event"

local ev = event.new()

return function(req)
  if req.path == "/event/set" then
    local n = ev:set()
    local old = ev
    ev = event.new()
    return 200, { woken = n, was_set = old:is_set() }
  end
  local ok, err = ev:wait(tonumber(req:query "ms") or 1000)
  return 200, { ok = ok or false, err = err }
end
