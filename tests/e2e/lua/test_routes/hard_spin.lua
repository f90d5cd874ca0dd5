-- GET /hard/spin: a loop that never ends; the time budget must stop it.
return function(req, ctx)
  local n = 0
  while true do
    n = n + 1
  end
end
