-- Permission check: the caller must send "Authorization: Bearer <token>"
-- with a token from the config's auth.tokens.
--
-- Switch it on in the config (no code change):
--   paths  = { ".", "../examples/policies" },
--   policy = { auth = "auth_bearer", shape = "policy.shape" },
--   auth   = { tokens = { gw.env("SGW_UPLOAD_TOKEN") } },
-- Keep tokens out of the config text: read them from the environment.
--
-- auth.tokens is a list of tokens, or maps each token to the user it
-- stands for: { [gw.env "ALICE_TOKEN"] = "alice" }. That user is what
-- check() returns: it becomes ctx.user, and with upload.user_segment =
-- true the folder of the key (uploads/alice/...).
local crypto, check, keys = require "gw.crypto", require "policy.check", require "policy.keys"

local M = {}

local challenge = { ["WWW-Authenticate"] = 'Bearer realm="signgw"' }

-- The tokens, checked when the generation is built: { {token, user}, ... }
local allowed = {}
do
  local tokens = check.section(check.section(gw.config, "auth"), "auth.tokens", "tokens")
  for k, v in pairs(tokens) do
    local token, user = v, true -- a list entry: no user
    if math.type(k) ~= "integer" then
      token, user = k, v
      if not keys.user(user) then
        check.fail("auth.tokens: the user for a token must be 1 to 64 of [A-Za-z0-9_-]")
      end
    end
    -- (The message never shows a token.)
    if type(token) ~= "string" or not token:match "^[%w%-%._~%+/]+=*$" then
      check.fail("auth.tokens: every token must be a non-empty string of bearer-token characters")
    end
    allowed[#allowed + 1] = { token, user }
  end
  if #allowed == 0 then
    check.fail("auth.tokens is empty: no one could upload (is the variable holding the token set?)")
  end
end

function M.check(req, ctx)
  local header = req:header "authorization"
  local token = header and header:match "^[Bb]earer +([%w%-%._~%+/]+=*) *$"
  if not token then
    return nil, 401, "unauthorized", "a bearer token is required", challenge
  end
  -- Constant-time, and every entry is compared: how much matched, or
  -- where, must not show in the timing.
  local who
  for _, a in ipairs(allowed) do
    if crypto.equal(token, a[1]) and not who then who = a[2] end
  end
  if who then return who end
  return nil, 403, "forbidden", "this token may not upload"
end

return M
