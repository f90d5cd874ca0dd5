-- At most rate_limit.rate requests per second per client address
-- (SGW_RATE_LIMIT=R; policy.client says who the client is), as a leaky
-- bucket: one every 1/R seconds, and up to rate_limit.burst more at once
-- (SGW_RATE_LIMIT_BURST; default 0, as nginx's limit_req: strictly
-- smoothed). The bucket lives in the
-- gw.shared dict rate_limit.dict (default "ratelimit"), so the workers of
-- one process share it; dict:limit updates it atomically. Over the limit:
-- 429 {"error":"rate_limited"} with Retry-After.
local shared, client = require "gw.shared", require "policy.client"

local cfg = gw.config.rate_limit
local rate, burst = cfg.rate, cfg.burst or 0
if type(rate) ~= "number" or rate <= 0 or rate > 1e9 then
  error("config: rate_limit.rate must be a number of requests per second above 0", 0)
end
if type(burst) ~= "number" or burst < 0 or burst > 1e9 then
  error("config: rate_limit.burst must be a number of requests from 0", 0)
end
local name = cfg.dict or "ratelimit"
local dict = shared.dict(name)
if not dict then error(("config: rate_limit needs the shared dict %q (shared = { %s = \"10m\" })"):format(name, name), 0) end

local M = {}

-- check(req, ctx) -> true, or nil, status, code, message, headers
function M.check(req, ctx)
  local ok, wait = dict:limit(client.addr(req, ctx), rate, burst)
  if ok ~= false then return true end -- nil: the dict's own failure; never block on it
  return nil, 429, "rate_limited", "too many requests",
    { ["Retry-After"] = tostring(math.max(1, math.ceil(wait))) }
end

return M
