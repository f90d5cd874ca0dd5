-- Permission check: the caller must send "Authorization: Bearer <token>"
-- with a token from the config's auth.tokens list.
--
-- Switch it on in the config (no code change):
--   paths  = { ".", "../examples/policies" },
--   policy = { auth = "auth_bearer", shape = "policy.shape" },
--   auth   = { tokens = { gw.env("SGW_UPLOAD_TOKEN") } },
-- Keep tokens out of the config text: read them from the environment.
local crypto = require "gw.crypto"

local M = {}

local challenge = { ["WWW-Authenticate"] = 'Bearer realm="signgw"' }

function M.check(req, ctx)
  local header = req:header "authorization"
  local token = header and header:match "^[Bb]earer +([%w%-%._~%+/]+=*) *$"
  if not token then
    return nil, 401, "unauthorized", "a bearer token is required", challenge
  end
  local tokens = ctx.config.auth and ctx.config.auth.tokens or {}
  for _, allowed in ipairs(tokens) do
    -- Constant-time: the comparison must not tell how much matched.
    if #allowed > 0 and crypto.equal(token, allowed) then
      return true
    end
  end
  return nil, 403, "forbidden", "this token may not upload"
end

return M
