-- GET /boom: a route script that fails, to check the 500 path. The marker
-- must reach the log and never the response.
return function(req, ctx)
  error("e2e-boom-marker")
end
