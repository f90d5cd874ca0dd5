-- GET /hard/spin-coroutine: the endless loop runs in a coroutine of the
-- script's own, which swallows every error and is resumed again.
return function(req, ctx)
  local co = coroutine.wrap(function()
    while true do
      pcall(function()
        local n = 0
        while true do
          n = n + 1
        end
      end)
    end
  end)
  while true do
    pcall(co)
  end
end
