-- GET /sleep?ms=N: waits N ms (default 200) in gw.sleep, which must yield the
-- request's coroutine instead of blocking the worker.
local gw = require "gw"

return function(req, ctx)
  gw.sleep(tonumber(req:query "ms") or 200)
  return 200, { ok = true }
end
