-- The test config plus the gw.http test route. SGW_TEST_OUTBOUND
-- ("name=value,...") overrides outbound settings.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.routes["GET /http/fetch"] = "test_routes.http_fetch"
for name, value in string.gmatch(gw.env("SGW_TEST_OUTBOUND") or "", "([%w_]+)=([^,]+)") do
  c.outbound[name] = math.tointeger(tonumber(value)) or value
end
c.limits.shutdown_timeout_ms = tonumber(gw.env("SGW_TEST_SHUTDOWN_MS") or "") or c.limits.shutdown_timeout_ms
return c
