-- POST /jwt/check {keys = {...}, token = "...", opts = {...}}: builds the
-- key set with gw.jwt.keys and verifies the token with gw.jwt.verify,
-- answering what the script sees: {ok, claims, header, count} or
-- {ok = false, reason, message} or {keys_error}. The same token goes
-- through gw.jwt.verifier(opts):verify(token, keys, now) too, which must
-- answer alike (a mismatch is {verifier_differs = ...}).
local json, jwt = require "gw.json", require "gw.jwt"

return function(req, ctx)
  local b = assert(json.decode(req.body))
  local ks, err = jwt.keys(b.keys)
  if not ks then
    return 200, { keys_error = err }
  end
  local opts = b.opts
  local vopts = {}
  for k, v in pairs(opts) do if k ~= "now" then vopts[k] = v end end
  local vc, vsecond = jwt.verifier(vopts):verify(b.token, ks, opts.now)
  opts.keys = ks
  local claims, second, msg = jwt.verify(b.token, opts)
  if json.encode { vc, vsecond } ~= json.encode { claims, second } then
    return 200, { verifier_differs = { verifier = { vc, vsecond }, verify = { claims, second } } }
  end
  if claims then
    return 200, { ok = true, claims = claims, header = second, count = #ks, keyset = tostring(ks) }
  end
  return 200, { ok = false, reason = second, message = msg }
end
