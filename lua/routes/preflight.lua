-- OPTIONS /put-sign, /post-policy, /get-sign: a browser asks whether a
-- page on another origin may call the route (policy/cors.lua decides).
local cors, upload = require "policy.cors", require "policy.upload"

local preflight, shape = cors.preflight, upload.shape

return function(req, ctx)
  return preflight(req, shape, ctx)
end
