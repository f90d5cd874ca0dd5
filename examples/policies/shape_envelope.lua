-- Response shaping like Tencent's own demo servers: every answer is
-- {"code":0,"data":{...}} on success, {"code":<status>,"error":..,
-- "message":..} otherwise.
--
-- Switch it on in the config:
--   paths  = { ".", "../examples/policies" },
--   policy = { auth = "policy.auth", shape = "shape_envelope" },
-- Clients must then read AuthData from `data` (the seed client reads the
-- top level, so keep the default shape for it).
local M = {}

function M.ok(body)
  return 200, { code = 0, data = body }
end

function M.error(status, code, message, headers)
  return status, { code = status, error = code, message = message }, headers
end

return M
