-- POST /hard/echo: answers with the length of the body it got (limits).
return function(req, ctx)
  return 200, { length = #req.body }
end
