-- GET /spec?name=NAME runs spec/NAME.lua: a list of {description, fn}.
-- Answers {passed, failed, failures = {...}}; the driver asserts on it.
local json = require "gw.json"

return function(req, ctx)
  local name = req:query "name" or ""
  assert(name:match "^[%w_]+$", "bad spec name")
  local cases = require("spec." .. name)
  local passed, failures = 0, json.array()
  local only = tonumber(req:query "only")
  for i, case in ipairs(cases) do
    if only and i ~= only then goto continue end
    local ok, err = pcall(case[2], req, ctx)
    if ok then
      passed = passed + 1
    else
      failures[#failures + 1] = case[1] .. ": " .. tostring(err)
    end
    ::continue::
  end
  return 200, { passed = passed, failed = #failures, failures = failures }
end
