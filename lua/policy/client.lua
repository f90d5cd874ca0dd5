-- The client's address, for rate limits and quotas.
--
-- It is the peer of the connection, unless the peer is one of the
-- config's trusted_proxies (SGW_TRUSTED_PROXIES="10.0.0.0/8, ::1"): then
-- it is the address that proxy forwarded. X-Forwarded-For is read from
-- the right: each proxy appends the address it saw, so the rightmost
-- address that is not a trusted proxy is the client (anything left of it
-- may be made up by the client). Without X-Forwarded-For, X-Real-IP.
local ip, check = require "gw.ip", require "policy.check"

local M = {}

-- "CIDR, CIDR ..." or a list of them; none: nobody is a trusted proxy.
local proxies = check.get(gw.config, "trusted_proxies")
if proxies ~= nil then
  if type(proxies) ~= "string" and type(proxies) ~= "table" then
    check.fail("trusted_proxies must be a string or a list of CIDRs")
  end
  local ok, set, err = pcall(ip.cidrs, proxies)
  if not ok or not set then check.fail("trusted_proxies: %s", tostring(ok and err or set)) end
  proxies = #set > 0 and set or nil
end

local function forwarded(req, peer)
  local xff = req:header("x-forwarded-for", true)
  if xff then
    local hops = {}
    for hop in xff:gmatch "[^,%s]+" do hops[#hops + 1] = hop end
    local last = peer -- the nearest address we trust to be true
    for i = #hops, 1, -1 do
      local a = ip.parse(hops[i])
      if not a then return last end -- garbage: stop at what we know
      if not proxies:contains(a) then return a end
      last = a
    end
    return last
  end
  local real = req:header "x-real-ip"
  return real and ip.parse(real) or peer
end

-- addr(req [, ctx]) -> the client's address (kept in ctx.client_addr)
function M.addr(req, ctx)
  local a = ctx and ctx.client_addr
  if a then return a end
  a = req.remote_addr
  if proxies and proxies:contains(a) then
    a = forwarded(req, ip.parse(a))
  end
  if ctx then ctx.client_addr = a end
  return a
end

return M
