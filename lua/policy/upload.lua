-- What the upload routes do before they sign: the permission check, the
-- extension check and the choice of key; and for downloads (/get-sign),
-- which keys a caller may read.
--
-- The settings are checked here, as the module loads (policy/check.lua):
-- a bad value fails the reload or `signgw -t`, naming the config file.
local cos, keys, check = require "gw.cos", require "policy.keys", require "policy.check"

local cfg = gw.config
local settings = check.upload(cfg)
local bucket, region = check.cos(cfg)
local auth = check.module(cfg, "auth", { "check" })
local shape = check.module(cfg, "shape", { "ok", "error" })

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
local function authorize(req, ctx)
  local ok, status, code, message, headers = auth_check(req, ctx)
  if not ok then
    return nil, shape.error(status or 403, code or "forbidden",
      message or "not allowed", headers, ctx)
  end
  if ok ~= true then ctx.user = ok end
  return true
end

function M.prepare(req, ctx)
  local ok, status, body, headers = authorize(req, ctx)
  if not ok then return nil, status, body, headers end
  local ext, err = ext_of(req:query "ext", ext_allow)
  if not ext then
    return nil, shape.error(400, "ext_not_allowed", err, nil, ctx)
  end
  if user_segment then -- and so a user is required
    local user, why = user_of(ctx.user)
    if not user then return nil, shape.error(403, "forbidden", why, nil, ctx) end
    return random_key(prefix, ext, user)
  end
  return random_key(prefix, ext)
end

-- readable(req, ctx) -> key, or nil, status, body, headers
-- The object the caller asks for (?key=), when it is one the upload
-- routes could have given this caller: under upload.prefix, and with
-- upload.user_segment in the caller's own folder.
function M.readable(req, ctx)
  local ok, status, body, headers = authorize(req, ctx)
  if not ok then return nil, status, body, headers end
  local key = req:query "key"
  if key == nil or key == "" then
    return nil, shape.error(400, "key_required", "key is required", nil, ctx)
  end
  if #key > 850 or not key:match "^[A-Za-z0-9/_.-]+$" or key:sub(1, 1) == "/"
      or key:sub(-1) == "/" or key:find("..", 1, true) or key:find("//", 1, true) then
    return nil, shape.error(400, "invalid_key",
      "key must be an object key as the upload routes make them", nil, ctx)
  end
  local folder = prefix
  if user_segment then
    local user, why = user_of(ctx.user)
    if not user then return nil, shape.error(403, "forbidden", why, nil, ctx) end
    folder = prefix .. user .. "/"
  end
  if key:sub(1, #folder) ~= folder then
    return nil, shape.error(403, "forbidden", "this key is not in your folder", nil, ctx)
  end
  return key
end

return M
