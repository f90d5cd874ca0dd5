-- POST /redis {op = "call"|"pipeline"|"eval", args, script, keys,
-- url_env, timeout_ms} runs one gw.redis operation and answers
-- {value, err, kind}, with 503 when Redis was unreachable or too slow.
-- Clients are made once per VM for each (url_env, timeout_ms).
local json, redis = require "gw.json", require "gw.redis"

local clients = {}

local function client(q)
  if not q.url_env and not q.timeout_ms then return redis.connect() end
  local id = tostring(q.url_env) .. "/" .. tostring(q.timeout_ms)
  if clients[id] == nil then
    local c, err = redis.connect { url_env = q.url_env, timeout_ms = q.timeout_ms }
    clients[id] = c or err
  end
  if type(clients[id]) == "string" then return nil, clients[id] end
  return clients[id]
end

return function(req)
  local q = json.decode(req.body)
  local r, err = client(q)
  if not r then return 200, { err = err, kind = "connect" } end
  local v, e, kind
  if q.op == "call" then
    v, e, kind = r:call(table.unpack(q.args))
  elseif q.op == "pipeline" then
    v, e, kind = r:pipeline(q.args)
    if v then v.n = nil end
  elseif q.op == "eval" then
    v, e, kind = r:eval(q.script, q.keys, q.args)
  else
    return 400, { error = "bad_op" }
  end
  local status = (kind == "unavailable" or kind == "timeout") and 503 or 200
  return status, { value = v, err = e, kind = kind }
end
