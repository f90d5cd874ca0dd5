-- Response shaping: how success and error bodies look to the client.
--
-- The default is what the Mini Program client expects: the signature
-- fields at the top level, errors as {error, message}. Both functions get
-- the request's ctx last (ctx.user: who the permission check let in), for
-- shapes that depend on the caller.
local M = {}

function M.ok(body, ctx)
  return 200, body
end

function M.error(status, code, message, headers, ctx)
  return status, { error = code, message = message }, headers
end

return M
