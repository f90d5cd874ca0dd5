-- A shape for tests that shows what shape code can see of the request:
-- the user the permission check let in (ctx.user) goes into success
-- bodies. Errors are the default shape's (a refused user may be any bytes).
local default = require "policy.shape"

return {
  ok = function(body, ctx)
    body.user = ctx.user
    return 200, body
  end,
  error = default.error,
}
