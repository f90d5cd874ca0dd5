-- configs/s3.lua with bearer tokens that stand for users (alice, bob) and
-- a key folder per user: /get-sign must keep each to their own.
local dir = ...
local c = loadfile(dir .. "/s3.lua")(dir)
c.policy.auth = "auth_bearer"
c.auth = { tokens = { [gw.env "SGW_TEST_ALICE"] = "alice", [gw.env "SGW_TEST_BOB"] = "bob" } }
c.upload.user_segment = true
return c
