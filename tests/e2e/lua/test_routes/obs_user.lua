-- GET /obs/user?name=U: a handler that names the request's user the way a
-- permission policy does (ctx.user), for the access log. Answers whether
-- ctx is the request's own table (it has the protected metatable of a
-- per-request ctx) or one shared by every request.
return function(req, ctx)
  local per_request = getmetatable(ctx) ~= nil
  if per_request then ctx.user = req:query "name" end
  return 200, { per_request = per_request }
end
