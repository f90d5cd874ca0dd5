-- A module that never finishes loading: only temporary test configs route
-- to it (budget.test.js), to check that -t and reloads give up on it.
local n = 0
while true do
  n = n + 1
end
return function(req, ctx)
  return 200, { never = true }
end
