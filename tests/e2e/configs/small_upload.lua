-- The test config with a 64 KiB upload limit, to check content-length-range.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.upload.max_size = 65536
return c
