-- GET /slow-sign?ms=N&k=NAME: waits N ms in gw.sleep, then signs a PUT of
-- rotation/NAME with ctx.cred, the credentials of the generation the
-- request started on (also when a reload swapped them meanwhile).
local cos = require "gw.cos"

return function(req, ctx)
  gw.sleep(tonumber(req:query "ms") or 0)
  local c = ctx.config.cos
  local host = cos.host(c.bucket, c.region)
  local key = "rotation/" .. (req:query "k" or "x")
  return 200, {
    cosHost = host, cosKey = key, securityToken = ctx.cred.security_token,
    authorization = cos.authorization{ cred = ctx.cred, method = "put", path = "/" .. key,
                                       headers = { host = host } },
  }
end
