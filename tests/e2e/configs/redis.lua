-- The test config plus gw.redis test routes and the Lua spec runner
-- (tests/lua/runner.lua, spec/redis.lua) for redis.test.js. The Redis URL
-- comes from SGW_REDIS_URL (read by gw.redis, never by this file).
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.paths[#c.paths + 1] = dir .. "/../../lua"
c.routes["GET /spec"] = "runner"
c.routes["POST /redis"] = { module = "test_routes.redis", body = true }
c.limits.script_memory_mb = 16      -- spec/redis.lua: a reply too large
c.redis = { timeout_ms = 500, connect_timeout_ms = 500 }
return c
