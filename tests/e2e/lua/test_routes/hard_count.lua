-- GET /hard/count: how many /hard/big answers this worker's VM has built.
return function(req, ctx)
  return 200, { served = HARD_BIG_SERVED or 0 }
end
