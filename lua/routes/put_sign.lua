-- GET /put-sign?ext=EXT -> { cosHost, cosKey, authorization [, securityToken] }
-- The signature covers PUT, the path /<key> and the host header: it is good
-- for this one key in this one bucket.
local cos, upload = require "gw.cos", require "policy.upload"

return function(req, ctx)
  local up, status, body, headers = upload.prepare(req, ctx)
  if not up then return status, body, headers end
  local cfg = ctx.config.upload
  return upload.shape.ok{
    cosHost = up.host,
    cosKey = up.key,
    authorization = cos.authorization{
      cred = ctx.cred, method = "put", path = "/" .. up.key,
      headers = { host = up.host },
      expires = cfg.expires, skew = cfg.skew,
    },
    securityToken = ctx.cred.security_token,
  }
end
