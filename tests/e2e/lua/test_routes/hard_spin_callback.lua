-- GET /hard/spin-callback: the endless loop runs in a callback from C
-- (table.sort's comparator), where a coroutine cannot yield, all in pcall.
return function(req, ctx)
  local t = { 5, 4, 3, 2, 1 }
  while true do
    pcall(table.sort, t, function(a, b)
      while true do
      end
    end)
  end
end
