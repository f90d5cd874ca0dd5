-- S3 mode: GET /get-sign?key=KEY -> { url }
-- A SigV4 presigned GET of KEY, valid for upload.expires seconds, only
-- for a key in the caller's own folder (policy.s3.owned_key: upload.prefix,
-- and with upload.user_segment the user's folder under it); 403 otherwise.
local s3, policy = require "gw.s3", require "policy.s3"
local cors = require "policy.cors"

local presign_url, owned_key, opts = s3.presign_url, policy.owned_key, policy.opts
local ok = policy.shape.ok
local expires = policy.settings.expires
local query = { ["x-id"] = "GetObject" } -- as the AWS SDK signs a GetObject

-- Pages on other origins may read the answer if cors.origins lists them.
return cors.wrap(function(req, ctx)
  local key, status, body, headers = owned_key(req, ctx)
  if not key then return status, body, headers end
  local url = presign_url(opts(ctx, { method = "GET", key = key, expires = expires, query = query }))
  return ok({ url = url }, ctx)
end)
