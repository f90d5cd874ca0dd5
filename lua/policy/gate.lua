-- What every signing route checks before it signs, in both storage modes
-- (policy.upload, policy.s3) and for downloads (policy.owner):
--
-- authorize(req, ctx) -> true, or nil, status, body, headers: the rate
-- limit (when on) and the permission check. auth.check returns true, or
-- the user it let in; that user becomes ctx.user for the rest of the
-- request (shape and log code can read it).
--
-- upload_key(req, ctx) -> key, ext, or nil, status, body, headers: an
-- upload's authorize, then the extension check, the user (required with
-- upload.user_segment on: the key's folder is <prefix><user>/), the quota
-- (when on) and a new random key.
local keys, check = require "policy.keys", require "policy.check"

local cfg = gw.config
local settings = check.upload(cfg)
local auth = check.module(cfg, "auth", { "check" })
local shape = check.module(cfg, "shape", { "ok", "error" })
local limits = require "policy.limits" -- the rate limit and the quota, when on

-- M.settings: the checked upload settings (see check.upload); M.shape:
-- the shape module.
local M = { settings = settings, shape = shape }

-- Looked up once, not per request.
local rate_limit, quota = limits.rate_limit, limits.quota
local auth_check, ext_of, random_key, user_of = auth.check, keys.ext, keys.random, keys.user
local ext_allow, prefix, user_segment = settings.ext_allow, settings.prefix, settings.user_segment

function M.authorize(req, ctx)
  local ok, status, code, message, headers
  if rate_limit then
    ok, status, code, message, headers = rate_limit(req, ctx)
    if not ok then return nil, shape.error(status, code, message, headers, ctx) end
  end
  ok, status, code, message, headers = auth_check(req, ctx)
  if not ok then
    return nil, shape.error(status or 403, code or "forbidden",
      message or "not allowed", headers, ctx)
  end
  if ok ~= true then ctx.user = ok end
  return true
end

local authorize = M.authorize

function M.upload_key(req, ctx)
  local ok, status, body, headers = authorize(req, ctx)
  if not ok then return nil, status, body, headers end
  local ext, err = ext_of(req:query "ext", ext_allow)
  if not ext then
    return nil, shape.error(400, "ext_not_allowed", err, nil, ctx)
  end
  local user
  if user_segment then -- and so a user is required
    local why
    user, why = user_of(ctx.user)
    if not user then return nil, shape.error(403, "forbidden", why, nil, ctx) end
  end
  -- Last: only a request that gets a signature counts against the quota.
  if quota then
    local code, message
    ok, status, code, message, headers = quota(req, ctx)
    if not ok then return nil, shape.error(status, code, message, headers, ctx) end
  end
  return random_key(prefix, ext, user), ext
end

return M
