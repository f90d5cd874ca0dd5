-- One cookie's value from the request's Cookie header (every line of it),
-- as RFC 6265 5.4 sends them: "a=1; b=2". Quotes around a value go.
local M = {}

function M.get(req, name)
  local header = req:header("cookie", true)
  if not header then return nil end
  for k, v in header:gmatch "([^=;,%s]+)%s*=%s*([^;,]*)" do
    if k == name then
      v = v:match "^(.-)%s*$"
      return v:match '^"(.*)"$' or v
    end
  end
  return nil
end

return M
