-- GET /ctx?u=NAME&ms=N: stores u in ctx, waits N ms in gw.sleep (other
-- requests run meanwhile), then answers what ctx holds: its own u, and
-- `left`, whatever an earlier request may have left in ctx.
return function(req, ctx)
  local left = ctx.left
  ctx.u = req:query "u"
  ctx.left = "from " .. tostring(ctx.u)
  gw.sleep(tonumber(req:query "ms") or 0)
  return 200, { u = ctx.u, left = left }
end
