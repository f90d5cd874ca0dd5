-- The test config with JWKS refetches allowed every 2 s (instead of a
-- minute) and retries after a failed fetch every 0.5 s, for jwks.test.js.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
c.jwt.jwks_refetch = 2
c.jwt.jwks_retry = 0.5
return c
