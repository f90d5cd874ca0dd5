-- GET /hard/rep?mb=N: one string.rep of N MiB (default 256): a single huge
-- allocation that the memory cap refuses.
return function(req, ctx)
  local s = string.rep("r", (tonumber(req:query "mb") or 256) * 1048576)
  return 200, { length = #s }
end
