-- The test config with keys in per-user folders: the user comes from the
-- X-User header (test_routes/auth_user.lua) and shows in every answer
-- (test_routes/shape_user.lua).
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.policy.auth = "test_routes.auth_user"
c.policy.shape = "test_routes.shape_user"
c.upload.user_segment = true
return c
