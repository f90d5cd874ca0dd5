-- The test config for COS_CREDENTIALS=sts runs (and static runs with
-- sign_size): SGW_TEST_UPLOAD ("name=value,...") overrides upload
-- settings, e.g. expires=3600 or sign_size=true.
local dir = ...
local c = loadfile(dir .. "/test.lua")(dir)
for name, value in string.gmatch(gw.env("SGW_TEST_UPLOAD") or "", "([%w_]+)=([^,]+)") do
  if value == "true" or value == "false" then
    c.upload[name] = value == "true"
  else
    c.upload[name] = math.tointeger(tonumber(value)) or value
  end
end
return c
