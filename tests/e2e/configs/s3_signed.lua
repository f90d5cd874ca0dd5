-- configs/s3.lua with the opt-in signed Content-Type and Content-Length
-- (s3.sign_content_type, upload.sign_size).
local dir = ...
local c = loadfile(dir .. "/s3.lua")(dir)
c.s3.sign_content_type = true
c.upload.sign_size = true
return c
