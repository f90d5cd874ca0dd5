local M = {}

function M.eq(got, want, what)
  if got ~= want then
    error(("%s: expected %q, got %q"):format(what or "value", tostring(want), tostring(got)), 2)
  end
end

return M
