-- What both upload routes do before they sign: the rate limit, the
-- permission check, the extension check, the quota and the choice of key.
--
-- The settings are checked here, as the module loads (policy/check.lua):
-- a bad value fails the reload or `signgw -t`, naming the config file.
local cos, keys, check = require "gw.cos", require "policy.keys", require "policy.check"

local cfg = gw.config
local settings = check.upload(cfg)
local bucket, region = check.cos(cfg)
local auth = check.module(cfg, "auth", { "check" })
local shape = check.module(cfg, "shape", { "ok", "error" })

-- The rate limit and the quota, when they are on (policy.limits).
local limits = require "policy.limits"
local rate_limit, quota = limits.rate_limit, limits.quota

-- The config is fixed for a generation, and so is the bucket's host. In
-- dev mode (gw.dev) uploads go to the local dev bucket, over plain HTTP.
local dev = gw.dev
local host = dev and dev.host or cos.host(bucket, region)
if dev then bucket = dev.bucket end

-- M.settings: the checked upload settings (see check.upload); M.scheme:
-- how clients reach M.host ("https", or "http" for the dev bucket).
local M = { shape = shape, host = host, bucket = bucket, settings = settings,
  scheme = dev and dev.scheme or "https" }

-- Looked up once, not per request.
local auth_check, ext_of, random_key, user_of = auth.check, keys.ext, keys.random, keys.user
local ext_allow, prefix, user_segment = settings.ext_allow, settings.prefix, settings.user_segment

-- prepare(req, ctx) -> key, or nil, status, body, headers
-- (the bucket and its host are M.bucket and M.host)
--
-- auth.check returns true, or the user it let in; that user becomes
-- ctx.user for the rest of the request (shape and log code can read it),
-- and with upload.user_segment on, the key's folder: <prefix><user>/...
--
-- authorize(req, ctx) -> true, or nil, status, body, headers: the rate
-- limit and the permission check alone (also for routes that sign no
-- key, such as /sts).
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

function M.prepare(req, ctx)
  local ok, status, body, headers = authorize(req, ctx)
  if not ok then return nil, status, body, headers end
  local code, message
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
    ok, status, code, message, headers = quota(req, ctx)
    if not ok then return nil, shape.error(status, code, message, headers, ctx) end
  end
  return random_key(prefix, ext, user)
end

return M
