-- GET /jwt/bearer: an HS256 bearer check with the secret from
-- SGW_JWT_SECRET, built once per VM as an operator's policy would.
local jwt = require "gw.jwt"
local ks

return function(req, ctx)
  if not ks then
    ks = assert(jwt.keys { secret_env = "SGW_JWT_SECRET" })
  end
  local token = (req:header "authorization" or ""):match "^Bearer (.+)$"
  local claims, reason, msg = jwt.verify(token, {
    keys = ks, algs = { "HS256" }, iss = "https://issuer.example", aud = "signgw",
    leeway = 30, require_exp = true,
  })
  if not claims then
    return 401, { error = "unauthorized", reason = reason, message = msg },
      { ["WWW-Authenticate"] = "Bearer" }
  end
  return 200, { sub = claims.sub, keyset = tostring(ks) }
end
