-- GET /sts (with COS_CREDENTIALS=sts): a temporary credential for
-- Tencent's own SDKs (cos-js-sdk-v5, cos-wx-sdk-v5, the mobile SDKs),
-- whose getAuthorization callback fetches it, in the shape
-- qcloud-cos-sts's getCredential returns. It passes the same permission
-- check as the upload routes, and its CAM policy allows the upload
-- actions under the upload prefix only: under <prefix><user>/ when the
-- check names a user and upload.user_segment is on.
local upload, credentials, keys = require "policy.upload", require "policy.credentials", require "policy.keys"
local sts = require "gw.sts"

local shape, s = upload.shape, upload.settings

return function(req, ctx)
  local ok, status, body, headers = upload.authorize(req, ctx)
  if not ok then return status, body, headers end
  local prefix = s.prefix
  if s.user_segment then
    local user, why = keys.user(ctx.user)
    if not user then return shape.error(403, "forbidden", why, nil, ctx) end
    prefix = prefix .. user .. "/"
  end
  local cred, info
  cred, info, body, headers = credentials.for_sdk(ctx, prefix, shape)
  if not cred then return info, body, headers end
  return shape.ok({
    credentials = {
      tmpSecretId = cred.secret_id,
      tmpSecretKey = sts.secret_key(cred),
      sessionToken = cred.security_token,
    },
    startTime = info.expired_time - credentials.duration,
    expiredTime = info.expired_time,
    expiration = info.expiration,
    requestId = info.request_id,
  }, ctx)
end
