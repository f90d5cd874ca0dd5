-- The test config for dev mode: the upload page's files named from the
-- repository root (the shipped config names them from lua/), and the dev
-- bucket's largest object from SGW_TEST_DEV_MAX_SIZE when a test sets it.
-- Tests choose the rest through the environment: SGW_DEV, SGW_DEV_LISTEN,
-- SGW_DEV_DATA, SGW_CORS_ORIGINS (see lib/devbucket.js).
local dir = ...
local root = dir .. "/../../.."
local c = loadfile(dir .. "/test.lua")(dir)
c.dev.routes = {
  ["GET /"] = { file = root .. "/examples/web/index.html" },
  ["GET /upload.js"] = { file = root .. "/examples/web/upload.js" },
}
local max = tonumber(gw.env "SGW_TEST_DEV_MAX_SIZE" or "")
if max then c.dev.max_size = math.tointeger(max) end
return c
