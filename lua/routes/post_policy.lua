-- GET /post-policy?ext=EXT -> { cosHost, cosKey, policy, qSignAlgorithm,
--   qAk, qKeyTime, qSignature [, securityToken] }
-- The policy pins the bucket and the exact key, and bounds the size.
local cos, upload = require "gw.cos", require "policy.upload"

local s = upload.settings

return function(req, ctx)
  local key, status, body, headers = upload.prepare(req, ctx)
  if not key then return status, body, headers end
  local p = cos.post_policy{
    cred = ctx.cred, bucket = upload.bucket, key = key,
    expires = s.expires, skew = s.skew,
    min_size = s.min_size, max_size = s.max_size,
    conditions = s.conditions,
  }
  return upload.shape.ok({
    cosHost = upload.host,
    cosKey = key,
    policy = p.policy,
    qSignAlgorithm = p.q_sign_algorithm,
    qAk = p.q_ak,
    qKeyTime = p.q_key_time,
    qSignature = p.q_signature,
    securityToken = p.security_token,
  }, ctx)
end
