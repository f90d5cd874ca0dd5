-- GET /get-sign?key=KEY -> { url, cosKey }
-- A presigned GET URL (the signature in the query, COS's form) for an
-- object the caller could have uploaded: under upload.prefix, and with
-- upload.user_segment in the caller's own folder (policy/upload.lua). It
-- is valid for upload.expires seconds. The upload page links the file it
-- just stored with it.
local cos, upload, cors = require "gw.cos", require "policy.upload", require "policy.cors"

-- Fixed for the generation: looked up once, not per request.
local presign_url, readable, ok = cos.presign_url, upload.readable, upload.shape.ok
local host, scheme = upload.host, upload.scheme
local expires, skew = upload.settings.expires, upload.settings.skew

return cors.wrap(function(req, ctx)
  local key, status, body, headers = readable(req, ctx)
  if not key then return status, body, headers end
  return ok({
    url = presign_url{
      cred = ctx.cred, method = "get", key = key, host = host, scheme = scheme,
      expires = expires, skew = skew,
    },
    cosKey = key,
  }, ctx)
end)
