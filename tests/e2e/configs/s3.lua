-- S3 mode against the S3 stand-in (tests/e2e/s3.test.js): the shipped
-- config, which selects the S3 routes when SGW_STORAGE=s3 and reads
-- S3_BUCKET, S3_REGION, S3_ENDPOINT, S3_FORCE_PATH_STYLE; a small size
-- range so a POST over it can be tried; the test-only routes.
-- Variants: s3_signed.lua (signed Content-Type and Content-Length),
-- s3_users.lua (bearer tokens, a folder per user).
local dir = ...
local root = dir .. "/../../.."
local c = dofile(root .. "/lua/config.lua")
c.paths = { root .. "/lua", root .. "/examples/policies", dir .. "/../lua" }
c.upload.min_size = 1
c.upload.max_size = 65536
c.routes["GET /s3/fetch"] = "test_routes.s3_fetch"
return c
