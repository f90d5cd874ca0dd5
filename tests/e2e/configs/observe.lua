-- The limits test config (test.lua with small limits and the hard_* routes)
-- plus what the metrics, access log and health tests need: a route with
-- script metrics (gw.metrics), a route that names a user (ctx.user), and
-- from the environment: SGW_TEST_METRICS_ALLOW="block,block" (metrics.allow)
-- and SGW_TEST_DRAIN_DELAY_MS (health.drain_delay_ms).
local dir = ...
local c = loadfile(dir .. "/limits.lua")(dir)

c.routes["GET /obs/metric"] = "test_routes.obs_metric"
c.routes["GET /obs/user"] = "test_routes.obs_user"

local allow = gw.env("SGW_TEST_METRICS_ALLOW")
if allow then
  c.metrics = { allow = {} }
  for block in allow:gmatch("[^,]+") do
    table.insert(c.metrics.allow, block)
  end
end
c.health = { drain_delay_ms = math.tointeger(tonumber(gw.env("SGW_TEST_DRAIN_DELAY_MS") or "0")) }
return c
