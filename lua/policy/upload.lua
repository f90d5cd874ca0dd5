-- What both upload routes do before they sign: the permission check, the
-- extension check and the choice of key.
local cos, keys = require "gw.cos", require "policy.keys"

local cfg = gw.config
local auth = require(cfg.policy.auth)
local shape = require(cfg.policy.shape)

assert(keys.valid_prefix(cfg.upload.prefix),
  "config: upload.prefix must use only [A-Za-z0-9/_.-], not start with '/', contain '..', and end with '/'")

-- The config is fixed for a generation, and so is the bucket's host.
local host = cos.host(cfg.cos.bucket, cfg.cos.region)

local M = { shape = shape, host = host, bucket = cfg.cos.bucket }

-- prepare(req, ctx) -> key, or nil, status, body, headers
-- (the bucket and its host are M.bucket and M.host)
function M.prepare(req, ctx)
  local ok, status, code, message, headers = auth.check(req, ctx)
  if not ok then
    return nil, shape.error(status or 403, code or "forbidden",
      message or "not allowed", headers)
  end
  local up = ctx.config.upload
  local ext, err = keys.ext(req:query "ext", up.ext_allow)
  if not ext then
    return nil, shape.error(400, "ext_not_allowed", err)
  end
  return keys.random(up.prefix, ext)
end

return M
