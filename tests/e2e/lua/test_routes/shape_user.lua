-- A shape for tests that shows what shape code can see of the request:
-- the user the permission check let in (ctx.user) goes into success
-- bodies. (Errors leave it out: a refused user may be any bytes.)
local M = {}

function M.ok(body, ctx)
  body.user = ctx.user
  return 200, body
end

function M.error(status, code, message, headers, ctx)
  return status, { error = code, message = message }, headers
end

return M
