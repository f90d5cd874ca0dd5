-- GET /put-sign?ext=EXT -> { cosHost, cosKey, authorization [, securityToken] }
-- The signature covers PUT, the path /<key> and the host header: it is good
-- for this one key in this one bucket.
local cos, upload = require "gw.cos", require "policy.upload"

local s = upload.settings
local signed_headers = { host = upload.host }

return function(req, ctx)
  local key, status, body, headers = upload.prepare(req, ctx)
  if not key then return status, body, headers end
  local cred = ctx.cred
  return upload.shape.ok({
    cosHost = upload.host,
    cosKey = key,
    authorization = cos.authorization{
      cred = cred, method = "put", path = "/" .. key,
      headers = signed_headers,
      expires = s.expires, skew = s.skew,
    },
    securityToken = cred.security_token,
  }, ctx)
end
