-- S3 mode: GET /put-sign?ext=EXT[&size=N] ->
--   { url, key, method = "PUT", headers = { ... } }
-- `url` is a SigV4 presigned PUT (query authentication, valid for
-- upload.expires seconds) for this one key in this one bucket; the client
-- sends the file as the body with the `headers` listed (none by default;
-- Content-Type with s3.sign_content_type, Content-Length with
-- upload.sign_size, which also needs ?size= within upload.min_size ..
-- upload.max_size).
local s3, policy = require "gw.s3", require "policy.s3"
local cors = require "policy.cors"

-- Fixed for the generation: looked up once, not per request.
local presign_url, prepare, content_type = s3.presign_url, policy.prepare, policy.content_type
local ok, fail = policy.shape.ok, policy.shape.error
local up, S = policy.settings, policy.s3
local bucket, region, endpoint, path_style = S.bucket, S.region, S.endpoint, S.path_style
local expires, min_size, max_size = up.expires, up.min_size, up.max_size
local sign_type, sign_length = S.sign_content_type, up.sign_size
local query = { ["x-id"] = "PutObject" } -- as the AWS SDK signs a PutObject

-- Pages on other origins may read the answer if cors.origins lists them.
return cors.wrap(function(req, ctx)
  -- prepare answers key, ext; or nil, status, body, headers
  local key, ext, body, headers = prepare(req, ctx)
  if not key then return ext, body, headers end
  local signed
  if sign_type or sign_length then
    signed = {}
    if sign_type then signed["Content-Type"] = content_type(ext) end
    if sign_length then
      local size = req:query "size"
      local n = size and #size <= 16 and size:match "^%d+$" and math.tointeger(tonumber(size))
      if not n or n < min_size or n > max_size then
        return fail(400, "bad_size", ("size must be the file's length in bytes, %d to %d")
          :format(min_size, max_size), nil, ctx)
      end
      signed["Content-Length"] = size
    end
  end
  local url, send = presign_url{
    cred = ctx.s3_cred, bucket = bucket, region = region, endpoint = endpoint,
    path_style = path_style, method = "PUT", key = key, expires = expires,
    headers = signed, query = query,
  }
  return ok({ url = url, key = key, method = "PUT", headers = send }, ctx)
end)
