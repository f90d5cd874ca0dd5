-- configs/s3.lua with the opt-in signed Content-Type and Content-Length.
local dir = ...
local c = loadfile(dir .. "/s3.lua")(dir)
c.s3.sign_content_type = true
c.s3.sign_content_length = true
return c
