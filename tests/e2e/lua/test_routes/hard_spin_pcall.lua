-- GET /hard/spin-pcall: an endless loop inside pcall, itself in an endless
-- loop, so catching the budget's error would just start it again.
return function(req, ctx)
  while true do
    pcall(function()
      local n = 0
      while true do
        n = n + 1
      end
    end)
  end
end
