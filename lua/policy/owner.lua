-- Downloads: which keys a caller may get a signed GET for. The caller's
-- own folder is upload.prefix, and with upload.user_segment on, the
-- folder of the user the permission check lets in (<prefix><user>/).
-- Used by /get-sign in both storage modes (routes/get_sign.lua,
-- routes/s3_get_sign.lua).
local keys, gate = require "policy.keys", require "policy.gate"

local settings, shape = gate.settings, gate.shape

local M = { shape = shape, settings = settings }

local authorize, user_of = gate.authorize, keys.user
local prefix, user_segment = settings.prefix, settings.user_segment

-- The folder a caller's keys are in, or nil without a valid user when
-- one is needed.
local function own_prefix(ctx)
  if not user_segment then return prefix end
  local user = user_of(ctx.user)
  return user and (prefix .. user .. "/") or nil
end

-- key(req, ctx) -> key, or nil, status, body, headers.
-- The rate limit (when on) and the permission check first (policy.gate;
-- its user becomes ctx.user); then the key (?key=) must be one the key
-- layout makes ([A-Za-z0-9/_.-], no "..", "//", "./" or leading or
-- trailing '/') and lie in the caller's own folder: 400 for a malformed
-- key, 403 for one elsewhere.
function M.key(req, ctx)
  local ok, status, body, headers = authorize(req, ctx)
  if not ok then return nil, status, body, headers end
  local key = req:query "key"
  if type(key) ~= "string" or key == "" then
    return nil, shape.error(400, "bad_key", "key is required", nil, ctx)
  end
  if #key > 1024 or not key:match "^[%w/_.-]+$" or key:find("..", 1, true)
      or key:find("//", 1, true) or key:sub(1, 1) == "/" or key:sub(-1) == "/"
      or key:find("/./", 1, true) or key:sub(1, 2) == "./" then
    return nil, shape.error(400, "bad_key", "not a key this gateway makes", nil, ctx)
  end
  local own = own_prefix(ctx)
  if not own then
    return nil, shape.error(403, "forbidden", "no valid user for this download", nil, ctx)
  end
  if #key <= #own or key:sub(1, #own) ~= own then
    return nil, shape.error(403, "forbidden", "the key is not in your folder", nil, ctx)
  end
  return key
end

return M
