-- GET /hard/spin-coroutine-pcall: the endless loop runs in a coroutine of
-- the script's own that catches every error itself (pcall) and loops on:
-- it never gives control back to the handler on its own.
return function(req, ctx)
  local co = coroutine.create(function()
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
    coroutine.resume(co)
  end
end
