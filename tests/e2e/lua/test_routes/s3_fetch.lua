-- GET /s3/fetch?key=K[&put=DATA]: reads (or, with put, writes) object K of
-- the configured S3 bucket through gw.http, header-signed by
-- gw.s3.authorization with ctx.s3_cred, and reports what came back.
local s3, http, policy = require "gw.s3", require "gw.http", require "policy.s3"

return function(req, ctx)
  local data = req:query "put"
  local r = s3.authorization(policy.opts(ctx, {
    method = data and "PUT" or "GET", key = req:query "key", body = data,
    headers = data and { ["Content-Type"] = "text/plain" } or nil,
  }))
  local status, body = http.request{ method = data and "PUT" or "GET", url = r.url,
    headers = r.headers, body = data }
  if not status then return 502, { error = body } end
  return 200, { status = status, body = body }
end
