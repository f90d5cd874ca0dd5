-- GET /hard/big: a 64 KiB answer, counted in a VM-global counter that
-- GET /hard/count reads (send timeout and write backpressure tests).
local big = string.rep("x", 65536)
return function(req, ctx)
  HARD_BIG_SERVED = (HARD_BIG_SERVED or 0) + 1
  return 200, big
end
