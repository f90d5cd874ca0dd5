-- GET /put-sign?ext=EXT -> { cosHost, cosKey, authorization [, securityToken] }
-- The signature covers PUT, the path /<key> and the host header: it is good
-- for this one key in this one bucket.
local cos, upload = require "gw.cos", require "policy.upload"

local signed_headers = { host = upload.host }

return function(req, ctx)
  local key, status, body, headers = upload.prepare(req, ctx)
  if not key then return status, body, headers end
  local cfg = ctx.config.upload
  return upload.shape.ok{
    cosHost = upload.host,
    cosKey = key,
    authorization = cos.authorization{
      cred = ctx.cred, method = "put", path = "/" .. key,
      headers = signed_headers,
      expires = cfg.expires, skew = cfg.skew,
    },
    securityToken = ctx.cred.security_token,
  }
end
