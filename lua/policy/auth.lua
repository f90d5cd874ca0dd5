-- Permission check for upload routes.
--
-- check(req, ctx) returns true to allow, or nil, status, code, message.
-- The default allows everyone. Put your own check here: a session cookie,
-- a signed token, a call to your user service. examples/policies/
-- auth_bearer.lua shows a bearer-token allowlist.
local M = {}

function M.check(req, ctx)
  return true
end

return M
