-- Response shaping: how success and error bodies look to the client.
--
-- The default is what the Mini Program client expects: the signature
-- fields at the top level, errors as {error, message}.
local M = {}

function M.ok(body)
  return 200, body
end

function M.error(status, code, message, headers)
  return status, { error = code, message = message }, headers
end

return M
