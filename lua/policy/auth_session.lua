-- Permission check: a session cookie (session.cookie, SGW_SESSION_COOKIE)
-- looked up in Redis (SGW_REDIS_URL) as GET <session.prefix><id>, by
-- default "session:<id>". The value is the user, and so the folder of the
-- key: <prefix><user>/YYYYMMDD/... (upload.user_segment). Your website
-- writes that key when someone logs in (with an expiry) and deletes it
-- when they log out.
--
-- Answers: no cookie or no such session: 401 {"error":"unauthorized"}; a
-- user that cannot name a folder (not 1 to 64 of [A-Za-z0-9_-]): 403.
-- Redis unreachable: 503 {"error":"unavailable"}, always (fail closed:
-- without the session store nobody can be known, SGW_REDIS_FAIL_OPEN
-- does not apply here).
local cookie, store, check = require "policy.cookie", require "policy.store", require "policy.check"

local cfg = check.section(gw.config, "session")
local name = check.string(cfg, "session.cookie", "cookie", "^[%w!#$%%&'*+%-.^_`|~]+$", "a cookie name")
local prefix = check.string(cfg, "session.prefix", "prefix", "^[^%c%s]*$", "a Redis key prefix", "session:")
local redis = store.client "session"

local M = {}

-- check(req, ctx) -> the user, or nil, status, code, message, headers
function M.check(req, ctx)
  local sid = cookie.get(req, name)
  if not sid or #sid > 256 or not sid:match "^[%w%-_%.~+/=:]+$" then
    return nil, 401, "unauthorized", "a session is required"
  end
  local user, err, kind = redis:call("GET", prefix .. sid)
  if kind then
    store.warn("session", err, false)
    return nil, 503, "unavailable", "sessions cannot be checked now", { ["Retry-After"] = "1" }
  end
  if user == nil then
    return nil, 401, "unauthorized", "no such session"
  end
  if type(user) ~= "string" or #user > 64 or not user:match "^[%w_%-]+$" then
    return nil, 403, "forbidden", "this session's user cannot name a folder"
  end
  return user
end

return M
