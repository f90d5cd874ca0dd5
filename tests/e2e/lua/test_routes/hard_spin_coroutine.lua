-- GET /hard/spin-coroutine: the endless loop runs in a coroutine of the
-- script's own; the handler ignores its failure and tries again forever.
return function(req, ctx)
  while true do
    local co = coroutine.create(function()
      local n = 0
      while true do
        n = n + 1
      end
    end)
    coroutine.resume(co)
  end
end
