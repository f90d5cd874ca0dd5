-- POST /ip {cidrs = {...}, addrs = {...}} -> {contains = {bool, ...},
-- parsed = {text|false, ...}}: gw.ip on a list of networks and addresses.
local json, ip = require "gw.json", require "gw.ip"

return function(req)
  local q = json.decode(req.body)
  local set, err = ip.cidrs(q.cidrs)
  if not set then return 400, { error = err } end
  local contains, parsed = json.array(), json.array()
  for i, a in ipairs(q.addrs) do
    contains[i] = set:contains(a)
    parsed[i] = ip.parse(a) or false
  end
  return 200, { contains = contains, parsed = parsed }
end
