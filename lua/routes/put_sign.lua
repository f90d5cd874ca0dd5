-- GET /put-sign?ext=EXT[&size=N] -> { cosHost, cosKey, authorization
--   [, securityToken] }
-- The signature covers PUT, the path /<key> and the host header (and
-- Content-Length with upload.sign_size): it is good for this one key in
-- this one bucket. With COS_CREDENTIALS=sts it is made with a temporary
-- credential (policy/credentials.lua), whose token the client sends.
local cos, upload, credentials = require "gw.cos", require "policy.upload", require "policy.credentials"
local cors = require "policy.cors"

-- Fixed for the generation: looked up once, not per request.
local authorization, prepare, shape = cos.authorization, upload.prepare, upload.shape
local ok = shape.ok
local host, s = upload.host, upload.settings
local expires, skew, sign_size = s.expires, s.skew, s.sign_size
local static = credentials.mode == "static"
local for_upload = credentials.for_upload
local signed_headers = { host = host }

-- The size the client will send, when upload.sign_size asks for one.
local function size_headers(req, ctx)
  local size = math.tointeger(tonumber(req:query "size"))
  if not size or size < s.min_size or size > s.max_size then
    return nil, shape.error(400, "bad_size",
      ("size must be an integer from %d to %d"):format(s.min_size, s.max_size), nil, ctx)
  end
  return { host = host, ["content-length"] = size }
end

-- Pages on other origins may read the answer if cors.origins lists them.
return cors.wrap(function(req, ctx)
  local key, status, body, headers = prepare(req, ctx)
  if not key then return status, body, headers end
  local signed = signed_headers
  if sign_size then
    signed, status, body, headers = size_headers(req, ctx)
    if not signed then return status, body, headers end
  end
  local cred = ctx.cred
  if not static then
    cred, status, body, headers = for_upload(ctx, key, "put", shape)
    if not cred then return status, body, headers end
  end
  return ok({
    cosHost = host,
    cosKey = key,
    authorization = authorization{
      cred = cred, method = "put", path = "/" .. key,
      headers = signed, expires = expires, skew = skew,
    },
    securityToken = cred.security_token,
  }, ctx)
end)
