-- A permission check for tests: lets everyone in as the user named by the
-- X-User header (which may be anything: the key code must refuse what is
-- not a valid user), or as nobody (true) without the header.
local M = {}

function M.check(req, ctx)
  local user = req:header "x-user"
  if user == nil then return true end
  return tonumber(user) and math.tointeger(tonumber(user)) or user
end

return M
