-- The shipped config plus the test-only routes (tests/e2e/lua/test_routes).
-- signgw calls this file with its own directory as `...`.
local dir = ...
local root = dir .. "/../../.."
local c = dofile(root .. "/lua/config.lua")
c.paths = { root .. "/lua", root .. "/examples/policies", dir .. "/../lua" }
c.routes["GET /sleep"] = "test_routes.sleep"
c.routes["GET /boom"] = "test_routes.boom"
c.routes["POST /ip"] = { module = "test_routes.ip", body = true }
c.routes["GET /ctx"] = "test_routes.ctx"
c.routes["GET /slow-sign"] = "test_routes.slow_sign"
return c
