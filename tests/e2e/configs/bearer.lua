-- The test config with the bearer-token example policy switched on.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.policy.auth = "auth_bearer"
c.auth = { tokens = { "sgw-e2e-token-1" } }
return c
