-- The test config plus the gw.event test routes.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.routes["GET /event/wait"] = "test_routes.event"
c.routes["GET /event/set"] = "test_routes.event"
return c
