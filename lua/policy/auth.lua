-- Permission check for upload routes.
--
-- check(req, ctx) returns true to allow, or the user it allows (a string
-- or a non-negative integer), or nil, status, code, message[, headers] to
-- refuse. The user becomes ctx.user for the rest of the request, and with
-- upload.user_segment on, the folder of the key: <prefix><user>/...
-- (1 to 64 of [A-Za-z0-9_-]; anything else is refused with 403).
--
-- The default allows everyone. Put your own check here: a session cookie,
-- a signed token, a call to your user service. examples/policies/
-- auth_bearer.lua shows a bearer-token allowlist.
local M = {}

function M.check(req, ctx)
  return true
end

return M
