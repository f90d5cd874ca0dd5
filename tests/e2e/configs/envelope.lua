-- The test config with the {"code":0,"data":...} envelope example switched on.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.policy.shape = "shape_envelope"
return c
