-- The Redis the shipped policies share (config.redis: SGW_REDIS_URL, read
-- by gw.redis in C, never by a script), and what they do when it fails.
local redis, log, time = require "gw.redis", require "gw.log", require "gw.time"
local check = require "policy.check"

local M = {}

local cfg = check.section(gw.config, "redis", nil, {})
-- SGW_REDIS_FAIL_OPEN=1: the quota lets requests through while Redis is
-- unreachable. Never the session check: without Redis nobody is known.
M.fail_open = check.boolean(cfg, "redis.fail_open", "fail_open", false)

local client

-- client(what) -> the gw.redis client (one per VM, made at load time).
-- `what` names the feature in the config error when no Redis is set.
function M.client(what)
  if not client then
    local err
    client, err = redis.connect()
    if not client then check.fail("%s needs Redis (SGW_REDIS_URL or redis.url): %s", what, err) end
  end
  return client
end

-- warn(what, err, allowed): one log line per 10 seconds per worker at
-- most, so a Redis outage does not flood the log.
local last = -math.huge

function M.warn(what, err, allowed)
  local now = time.now()
  if now - last < 10 then return end
  last = now
  log.warn(("%s: Redis failed (%s); %s"):format(what, err,
    allowed and "allowing (SGW_REDIS_FAIL_OPEN=1)" or "answering 503"))
end

return M
