-- GET /put-sign?ext=EXT -> { cosHost, cosKey, authorization [, securityToken] }
-- The signature covers PUT, the path /<key> and the host header: it is good
-- for this one key in this one bucket.
local cos, upload = require "gw.cos", require "policy.upload"

-- Fixed for the generation: looked up once, not per request.
local authorization, prepare, ok = cos.authorization, upload.prepare, upload.shape.ok
local host, s = upload.host, upload.settings
local expires, skew = s.expires, s.skew
local signed_headers = { host = host }

return function(req, ctx)
  local key, status, body, headers = prepare(req, ctx)
  if not key then return status, body, headers end
  local cred = ctx.cred
  return ok({
    cosHost = host,
    cosKey = key,
    authorization = authorization{
      cred = cred, method = "put", path = "/" .. key,
      headers = signed_headers, expires = expires, skew = skew,
    },
    securityToken = cred.security_token,
  }, ctx)
end
