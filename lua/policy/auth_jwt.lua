-- Permission check: a JSON Web Token (RFC 7519) in "Authorization: Bearer
-- <token>", or else in the cookie jwt.cookie (SGW_JWT_COOKIE, default
-- "token"). Its "sub" claim is the user, and so the folder of the key:
-- <prefix><sub>/YYYYMMDD/... (upload.user_segment).
--
-- The shipped config switches it on with SGW_JWT_SECRET (HS256; the
-- variable's bytes as they are, not base64), SGW_JWT_SECRET_FILE or
-- SGW_JWT_JWKS_URL (an issuer's public keys, policy.jwks), and reads
-- SGW_JWT_ALGS, SGW_JWT_ISSUER, SGW_JWT_AUDIENCE and SGW_JWT_LEEWAY into
-- config.jwt. A secret is read by gw.jwt in C, never by a script.
--
-- Answers: no token, or one that fails (signature, alg, exp/nbf/iat,
-- iss, aud): 401 {"error":"unauthorized"} with WWW-Authenticate: Bearer.
-- A sub that cannot name a folder (not 1 to 64 of [A-Za-z0-9_-]): 403.
-- A JWKS that cannot be fetched: 503 {"error":"unavailable"}.
--
-- A client sends the same token with every upload until it expires, so a
-- token that verified is remembered, per worker, for at most jwt.cache_ttl
-- seconds (60) and never past its exp (plus the leeway): the signature is
-- not checked again for each request. At most jwt.cache_size (4096)
-- tokens are kept; a reload starts afresh.
local jwt, cookie, check = require "gw.jwt", require "policy.cookie", require "policy.check"
local time = require "gw.time"

local cfg = check.section(gw.config, "jwt")
local M = {}

local function str(name, pattern, what)
  return check.string(cfg, "jwt." .. name, name, pattern, what, false) or nil
end

local jwks_url = str("jwks_url", "^https?://[^%s]+$", "an http(s) URL")

-- algs: a list, or text like "HS256,HS384" (SGW_JWT_ALGS). The default
-- is HS256 with a secret (HS384/HS512 tokens made with the same secret
-- are refused), and the public-key algorithms with a JWKS.
local algs = check.get(cfg, "algs")
if type(algs) == "string" then
  local list = {}
  for a in algs:gmatch "[^,%s]+" do list[#list + 1] = a end
  algs = list
end
if algs ~= nil and type(algs) ~= "table" then check.fail("jwt.algs must be a list or text like \"HS256,HS384\"") end
if algs == nil or #algs == 0 then
  algs = jwks_url and { "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA" } or { "HS256" }
end
local KNOWN = { HS256 = 1, HS384 = 1, HS512 = 1, RS256 = 1, RS384 = 1, RS512 = 1, PS256 = 1,
  ES256 = 1, ES384 = 1, EdDSA = 1 }
for i, a in ipairs(algs) do
  if not KNOWN[a] then check.fail("jwt.algs[%d] must be an algorithm gw.jwt verifies, not %s", i, tostring(a)) end
end

-- The options are read once, into a verifier.
local leeway = check.number(cfg, "jwt.leeway", "leeway", 0, 86400, 30, true)
local verifier = jwt.verifier {
  algs = algs,
  iss = str("issuer", "^[^%c]+$", "a string"),
  aud = str("audience", "^[^%c]+$", "a string"),
  leeway = leeway,
  -- A token without exp would never expire.
  require_exp = check.boolean(cfg, "jwt.require_exp", "require_exp", true),
}
local cookie_name = check.string(cfg, "jwt.cookie", "cookie", "^[%w!#$%%&'*+%-.^_`|~]+$", "a cookie name", "token")
local cache_ttl = check.number(cfg, "jwt.cache_ttl", "cache_ttl", 0, 3600, 60)
local cache_size = check.number(cfg, "jwt.cache_size", "cache_size", 0, 1000000, 4096, true)

-- The key set: a shared secret, loaded once; or a JWKS fetched over HTTP
-- and kept fresh (policy.jwks).
local jwks, keys
if jwks_url then
  jwks = require("policy.jwks").new(jwks_url, {
    timeout_ms = check.number(cfg, "jwt.jwks_timeout_ms", "jwks_timeout_ms", 1, 60000, 3000, true),
    max_age = check.number(cfg, "jwt.jwks_max_age", "jwks_max_age", 1, 7 * 86400, 3600),
    refetch = check.number(cfg, "jwt.jwks_refetch", "jwks_refetch", 0, 86400, 60),
    retry = check.number(cfg, "jwt.jwks_retry", "jwks_retry", 0, 3600, 5),
  })
else
  local sources = {
    secret_env = str("secret_env", "^[%w_]+$", "a variable name"),
    secret_file = str("secret_file", "^[^%c]+$", "a file name"),
    secret_file_env = str("secret_file_env", "^[%w_]+$", "a variable name"),
  }
  if not next(sources) then
    check.fail("jwt needs one of secret_env, secret_file, secret_file_env (SGW_JWT_SECRET, SGW_JWT_SECRET_FILE) or jwks_url (SGW_JWT_JWKS_URL)")
  end
  local ok, ks, err = pcall(jwt.keys, sources)
  if not ok or not ks then check.fail("jwt: %s", tostring(ok and err or ks)) end
  keys = ks
end

local challenge = { ["WWW-Authenticate"] = "Bearer" }
local refused = { ["WWW-Authenticate"] = 'Bearer error="invalid_token"' }

-- The token in an Authorization header: "Bearer <token>". No pattern:
-- this runs for every request, and gw.jwt refuses what is not a token.
local function bearer(h)
  if #h > 7 then
    local scheme = h:sub(1, 7)
    if scheme == "Bearer " or scheme == "bearer " then
      local t = h:sub(8)
      if t:byte(1) == 32 or t:byte(-1) == 32 then t = t:match "^ *(.-) *$" end
      return t
    end
  end
  return nil
end

local function verify(token)
  if jwks then return jwks.verify(token, verifier) end
  return verifier:verify(token, keys)
end

-- Tokens that verified: the Authorization header (or the cookie's token)
-- -> { user, good until (unix time) }.
local cache, cached = {}, 0

-- check(req, ctx) -> the user, or nil, status, code, message, headers
function M.check(req, ctx)
  local now = time.unix()
  local h = req:header "authorization"
  local hit = h and cache[h]
  if hit and now < hit[2] then return hit[1] end
  local token = h and bearer(h)
  if not token then
    token = cookie.get(req, cookie_name)
    h = token
    hit = token and cache[token]
    if hit and now < hit[2] then return hit[1] end
  end
  if not token or token == "" then
    return nil, 401, "unauthorized", "a token is required", challenge
  end
  local claims, reason = verify(token)
  if reason == "jwks_unavailable" then
    return nil, 503, "unavailable", "tokens cannot be checked now", { ["Retry-After"] = "5" }
  end
  if not claims then
    return nil, 401, "unauthorized", "the token was refused (" .. reason .. ")", refused
  end
  local sub = claims.sub
  if type(sub) ~= "string" or #sub > 64 or not sub:match "^[%w_%-]+$" then
    return nil, 403, "forbidden", "the token's subject cannot name a folder"
  end
  if cache_size > 0 and cache_ttl > 0 then
    local good = now + cache_ttl
    if math.type(claims.exp) == "integer" and claims.exp + leeway < good then good = claims.exp + leeway end
    if cached >= cache_size then cache, cached = {}, 0 end
    cache[h], cached = { sub, good }, cached + 1
  end
  return sub
end

return M
