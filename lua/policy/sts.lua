-- Tencent Cloud STS (API version 2018-08-13): temporary credentials.
-- A thin module on gw.tc3 (TC3-HMAC-SHA256 request signing with the
-- permanent key, which never leaves C), gw.http (the call) and gw.sts
-- (the answer becomes an opaque credential: its key stays out of Lua).
local http, tc3, sts = require "gw.http", require "gw.tc3", require "gw.sts"
local json, url = require "gw.json", require "gw.url"

local M = {}

-- fetch{ cred, endpoint, region, policy, duration, timeout_ms,
--        name | role_arn (AssumeRole) }
--   -> cred, info { tmp_secret_id, expired_time, expiration, request_id }
--   or nil, message, kind ("timeout" or "unavailable")
-- policy: the CAM policy table the temporary credential is limited to.
function M.fetch(o)
  local action = o.role_arn and "AssumeRole" or "GetFederationToken"
  local payload = {
    Policy = url.encode(json.encode(o.policy)), -- URL-encoded JSON, as STS wants it
    DurationSeconds = o.duration,
  }
  if o.role_arn then
    payload.RoleArn, payload.RoleSessionName = o.role_arn, o.name
  else
    payload.Name = o.name
  end
  local body = json.encode(payload)
  local headers = tc3.sign{
    cred = o.cred, service = "sts", host = o.endpoint:match "^https?://([^/]+)",
    action = action, version = "2018-08-13", region = o.region, payload = body,
  }
  local status, answer, kind = http.request{
    method = "POST", url = o.endpoint, headers = headers, body = body,
    timeout_ms = o.timeout_ms, target = "sts",
  }
  if not status then
    return nil, "STS not reachable: " .. answer, kind == "timeout" and "timeout" or "unavailable"
  end
  if status ~= 200 then
    return nil, "STS answered HTTP " .. status, "unavailable"
  end
  local cred, info = sts.credential(answer)
  if not cred then return nil, info, "unavailable" end
  return cred, info
end

return M
