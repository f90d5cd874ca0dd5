-- Test config: the shipped one plus a route that runs the Lua specs inside
-- a real worker VM (same sandbox, same gw modules as route scripts).
local dir = ...
local c = dofile(dir .. "/../../lua/config.lua")
c.paths = { dir .. "/../../lua", dir }
c.routes["GET /spec"] = "runner"
c.shared = { spec = "64k", spec_small = 8192 } -- spec/shared.lua
return c
