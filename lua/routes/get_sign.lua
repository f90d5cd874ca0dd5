-- COS mode: GET /get-sign?key=KEY -> { url }
-- A presigned GET of KEY (COS's query-string form, gw.cos.presign_url),
-- valid for upload.expires seconds (from upload.skew before now), only
-- for a key in the caller's own folder (policy/owner.lua: upload.prefix,
-- and with upload.user_segment the user's folder under it); 403
-- otherwise. Routed with the permanent key only (COS_CREDENTIALS=static).
-- In dev mode the URL is the dev bucket's (http://). Pages on other
-- origins may read the answer if cors.origins lists them.
local cos, owner, upload, cors = require "gw.cos", require "policy.owner",
  require "policy.upload", require "policy.cors"

local presign_url, owned_key, ok = cos.presign_url, owner.key, owner.shape.ok
local host, scheme, s = upload.host, upload.scheme, upload.settings
local expires, skew = s.expires, s.skew

return cors.wrap(function(req, ctx)
  local key, status, body, headers = owned_key(req, ctx)
  if not key then return status, body, headers end
  return ok({ url = presign_url{ cred = ctx.cred, method = "get", key = key, host = host,
    scheme = scheme, expires = expires, skew = skew } }, ctx)
end)
