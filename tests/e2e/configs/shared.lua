-- The test config (test.lua) plus gw.shared dicts and the /shared test
-- route. The dicts come from the Lua file named by SGW_TEST_SHARED_FILE
-- (returning name = size), which shared.test.js rewrites before a reload;
-- without it, counters = "1m".
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
local file = gw.env("SGW_TEST_SHARED_FILE")
c.shared = file and dofile(file) or { counters = "1m" }
c.routes["GET /shared"] = "test_routes.shared"
return c
