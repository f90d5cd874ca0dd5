-- The test config plus the gw.jwt test routes and the Lua spec runner
-- (tests/lua/runner.lua, spec/jwt.lua) for jwt.test.js.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.paths[#c.paths + 1] = dir .. "/../../lua"
c.routes["POST /jwt/check"] = { module = "test_routes.jwt_check", body = true }
c.routes["GET /jwt/bearer"] = "test_routes.jwt_bearer"
c.routes["GET /spec"] = "runner"
return c
