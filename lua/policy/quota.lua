-- At most quota.per_day signatures per user per UTC day (SGW_QUOTA_PER_DAY),
-- counted in Redis, so every gateway sharing that Redis counts together.
-- The user is ctx.user (the JWT or session user), or the client's address
-- (policy.client) when nobody logs in.
--
-- The check and the count are one Lua script run by Redis: Redis runs a
-- script alone, so two gateways can never both take the last one. Only
-- signatures handed out are counted. Over the quota: 429
-- {"error":"quota_exceeded"} with Retry-After (seconds to UTC midnight).
-- Redis unreachable: 503 {"error":"unavailable"}, or with
-- SGW_REDIS_FAIL_OPEN=1 allowed, with a warning in the log.
local time, client, store = require "gw.time", require "policy.client", require "policy.store"
local check = require "policy.check"

local cfg = check.section(gw.config, "quota")
local per_day = check.number(cfg, "quota.per_day", "per_day", 1, 1e12, nil, true)
local prefix = check.string(cfg, "quota.prefix", "prefix", "^[%w:_%-./]*$", "a Redis key prefix", "sgw:quota:")
local redis = store.client "quota.per_day"

-- KEYS[1]: this user's counter for today. ARGV: the quota, the seconds
-- the counter is kept. Returns 1 (counted) or 0 (over the quota).
local SCRIPT = [[
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
]]

local M = {}

-- eval() reads its lists before it waits, so one pair serves every request.
local keys, args = { "" }, { tostring(per_day), "" }
local last, day, left = -1, nil, nil

-- take(req, ctx) -> true, or nil, status, code, message, headers
function M.take(req, ctx)
  local user = ctx.user
  local who = user and ("u:" .. tostring(user)) or ("ip:" .. client.addr(req, ctx))
  local now = time.unix()
  if now ~= last then -- once a second: the UTC day, the seconds to its end
    last, day, left = now, time.format("%Y%m%d:", now), 86400 - now % 86400
    args[2] = tostring(left + 3600) -- the counter outlives its day
  end
  keys[1] = prefix .. day .. who
  local ok, err = redis:eval(SCRIPT, keys, args)
  if ok == 1 then return true end
  if ok == 0 then
    return nil, 429, "quota_exceeded", ("at most %d uploads a day"):format(per_day),
      { ["Retry-After"] = tostring(left) }
  end
  store.warn("quota", err, store.fail_open)
  if store.fail_open then return true end
  return nil, 503, "unavailable", "the quota cannot be checked now", { ["Retry-After"] = "1" }
end

return M
