-- The bearer-token example with tokens mapped to users and keys in their
-- folders.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.policy.auth = "auth_bearer"
c.auth = { tokens = { ["sgw-e2e-token-alice"] = "alice", ["sgw-e2e-token-bob"] = "bob" } }
c.upload.user_segment = true
return c
