-- S3 mode: GET /post-policy?ext=EXT -> { url, key, fields = { ... } }
-- The shape createPresignedPost of @aws-sdk/s3-presigned-post returns: a
-- browser posts `fields` as they are to `url`, then the file. The policy
-- pins the bucket and the exact key, bounds the size by upload.min_size
-- .. upload.max_size, adds upload.conditions, and with
-- s3.sign_content_type fixes the Content-Type field.
local s3, policy = require "gw.s3", require "policy.s3"
local cors = require "policy.cors"

-- Fixed for the generation: looked up once, not per request.
local post_policy, prepare, opts, content_type = s3.post_policy, policy.prepare, policy.opts,
  policy.content_type
local ok = policy.shape.ok
local up, S = policy.settings, policy.s3
local expires, min_size, max_size, conditions = up.expires, up.min_size, up.max_size, up.conditions
local sign_type = S.sign_content_type

-- Pages on other origins may read the answer if cors.origins lists them.
return cors.wrap(function(req, ctx)
  local key, ext, body, headers = prepare(req, ctx)
  if not key then return ext, body, headers end
  local p = post_policy(opts(ctx, {
    key = key, expires = expires, min_size = min_size, max_size = max_size,
    conditions = conditions,
    fields = sign_type and { ["Content-Type"] = content_type(ext) } or nil,
  }))
  return ok({ url = p.url, key = key, fields = p.fields }, ctx)
end)
