-- Answers the server and the router make themselves (400, 404, 405, 408,
-- 413, 414, 431, 500) go through the configured shape policy, so every
-- answer has one format. A 500 carries the request id: the log line with
-- the traceback has the same one.
local shape = require(gw.config.policy.shape)

return function(status, code, message, req, headers)
  local st, body, hdrs = shape.error(status, code, message, headers)
  if status == 500 and type(body) == "table" then
    body.requestId = req.id
  end
  return st, body, hdrs
end
