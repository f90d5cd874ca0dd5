-- The rate limit and the quota of the signing routes, each on when its
-- settings are there (SGW_RATE_LIMIT, SGW_QUOTA_PER_DAY in the shipped
-- config). Their modules are policy.rate_limit and policy.quota unless
-- config.policy names others. Used by policy.gate, for the upload routes
-- of both storage modes and for downloads (the rate limit only).
--
-- M.rate_limit(req, ctx) and M.quota(req, ctx) -> true, or nil, status,
-- code, message, headers; each is nil when it is off.
local check = require "policy.check"

local cfg = gw.config

local function on(section, field)
  local t = check.get(cfg, section)
  return type(t) == "table" and check.get(t, field) ~= nil
end

local M = {}
if on("rate_limit", "rate") then M.rate_limit = check.module(cfg, "rate_limit", { "check" }).check end
if on("quota", "per_day") then M.quota = check.module(cfg, "quota", { "take" }).take end

return M
