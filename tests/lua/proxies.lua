-- Options tables whose fields come from an __index function that runs the
-- collector on every read (spec/cos_options.lua, spec/s3_options.lua):
-- a binding that lets go of an option string before it has used it reads
-- freed memory, which the sanitizer build turns into an abort.
local M = {}

-- Enough garbage for the collector to run several times (collectgarbage
-- itself is not available to scripts).
local function churn()
  local keep = {}
  for i = 1, 2000 do keep[i % 64 + 1] = { i, tostring(i) .. "x" } end
  return keep
end

local serial = 1000

-- A number no earlier call gave, for strings no other variable holds.
function M.next_id()
  serial = serial + 1
  return serial
end

-- Field values may be functions that make a new string object on each
-- read: long strings through :sub (never shared), short ones by
-- formatting a number, so no constant or other variable holds the same
-- object.
local function resolve(v)
  if type(v) == "function" then return v() end
  return v
end

-- values as a proxy: each read churns, then makes the value anew.
function M.proxy(values)
  return setmetatable({}, { __index = function(_, k)
    churn()
    return resolve(values[k])
  end })
end

-- values as a plain table, for the expected answer.
function M.plain(values)
  local t = {}
  for k, v in pairs(values) do t[k] = resolve(v) end
  return t
end

return M
