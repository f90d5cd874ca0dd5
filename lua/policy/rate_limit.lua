-- At most rate_limit.rate requests per second per client address
-- (SGW_RATE_LIMIT=R; policy.client says who the client is), as a leaky
-- bucket: one every 1/R seconds, and up to rate_limit.burst more at once
-- (SGW_RATE_LIMIT_BURST; default 0, as nginx's limit_req: strictly
-- smoothed). The bucket lives in the gw.shared dict rate_limit.dict
-- (default "ratelimit"), so the workers of one process share it;
-- dict:limit updates it in one atomic step. Over the limit: 429
-- {"error":"rate_limited"} with Retry-After.
local shared, client, check = require "gw.shared", require "policy.client", require "policy.check"

local cfg = check.section(gw.config, "rate_limit")
local rate = check.number(cfg, "rate_limit.rate", "rate", 0.001, 1000000000)
local burst = check.number(cfg, "rate_limit.burst", "burst", 0, 1000000000, 0)
local name = check.string(cfg, "rate_limit.dict", "dict", "^[%a_][%w_]*$", "a shared dict name", "ratelimit")
local dict = shared.dict(name)
if not dict then
  check.fail("rate_limit needs the shared dict %q (shared = { %s = \"10m\" })", name, name)
end

local M = {}

-- check(req, ctx) -> true, or nil, status, code, message, headers
function M.check(req, ctx)
  local ok, wait = dict:limit(client.addr(req, ctx), rate, burst)
  if ok ~= false then return true end -- nil: the dict's own failure; never block on it
  return nil, 429, "rate_limited", "too many requests",
    { ["Retry-After"] = tostring(math.max(1, math.ceil(wait))) }
end

return M
