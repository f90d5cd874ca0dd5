-- GET /http/fetch?url=U[&timeout=MS][&n=N][&method=M]: fetches U with
-- gw.http (N times in a row) and reports what came back.
local http = require "gw.http"

return function(req)
  local n = tonumber(req:query "n") or 1
  local status, body, headers
  for _ = 1, n do
    status, body, headers = http.request{
      url = req:query "url", method = req:query "method",
      timeout_ms = tonumber(req:query "timeout"),
      headers = { ["X-Test"] = "yes", ["X-Number"] = 42 },
    }
    if not status then
      return 200, { error = body, kind = headers }
    end
  end
  return 200, { status = status, length = #body, body = #body <= 64 and body or nil,
                server = headers["x-server"], location = headers["location"] }
end
