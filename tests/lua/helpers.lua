local M = {}

function M.eq(got, want, what)
  if got ~= want then
    error(("%s: expected %q, got %q"):format(what or "value", tostring(want), tostring(got)), 2)
  end
end

-- The number of entries of a table (any keys).
function M.count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

return M
