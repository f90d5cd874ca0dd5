-- GET /shared?op=incr|get|capacity[&dict=NAME][&key=KEY]: one gw.shared
-- operation (dict "counters", key "hits" by default), answered with the
-- worker and generation that ran it.
local shared = require "gw.shared"

return function(req, ctx)
  local d = shared.dict(req:query "dict" or "counters")
  if not d then return 404, { error = "no_such_dict" } end
  local op, key = req:query "op", req:query "key" or "hits"
  local value, err
  if op == "incr" then
    value, err = d:incr(key, 1, 0)
  elseif op == "get" then
    value = d:get(key)
  elseif op == "capacity" then
    value = d:capacity()
  else
    return 400, { error = "bad_op" }
  end
  if err then return 500, { error = err } end
  return 200, { value = value, worker = ctx.worker_id, generation = gw.generation }
end
