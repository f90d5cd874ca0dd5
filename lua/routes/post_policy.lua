-- GET /post-policy?ext=EXT -> { cosHost, cosKey, policy, qSignAlgorithm,
--   qAk, qKeyTime, qSignature [, securityToken] }
-- The policy pins the bucket and the exact key, and bounds the size. With
-- COS_CREDENTIALS=sts it is signed with a temporary credential.
local cos, upload, credentials = require "gw.cos", require "policy.upload", require "policy.credentials"
local cors = require "policy.cors"

-- Fixed for the generation: looked up once, not per request.
local post_policy, prepare, shape = cos.post_policy, upload.prepare, upload.shape
local ok = shape.ok
local host, bucket, s = upload.host, upload.bucket, upload.settings
local expires, skew, min_size, max_size, conditions =
  s.expires, s.skew, s.min_size, s.max_size, s.conditions
local static = credentials.mode == "static"
local for_upload = credentials.for_upload

-- Pages on other origins may read the answer if cors.origins lists them.
return cors.wrap(function(req, ctx)
  local key, status, body, headers = prepare(req, ctx)
  if not key then return status, body, headers end
  local cred = ctx.cred
  if not static then
    cred, status, body, headers = for_upload(ctx, key, "post", shape)
    if not cred then return status, body, headers end
  end
  local p = post_policy{
    cred = cred, bucket = bucket, key = key,
    expires = expires, skew = skew, min_size = min_size, max_size = max_size,
    conditions = conditions,
  }
  return ok({
    cosHost = host,
    cosKey = key,
    policy = p.policy,
    qSignAlgorithm = p.q_sign_algorithm,
    qAk = p.q_ak,
    qKeyTime = p.q_key_time,
    qSignature = p.q_signature,
    securityToken = p.security_token,
  }, ctx)
end)
