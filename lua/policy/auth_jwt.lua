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
local jwt, cookie = require "gw.jwt", require "policy.cookie"

local cfg = gw.config.jwt
local M = {}

local opts = {
  algs = cfg.algs or { "HS256" },
  iss = cfg.issuer,
  aud = cfg.audience,
  leeway = cfg.leeway or 30,
  require_exp = cfg.require_exp ~= false, -- a token without exp never expires
}
local cookie_name = cfg.cookie or "token"

-- The key set: a shared secret, loaded once; or a JWKS fetched over HTTP
-- and kept fresh (policy.jwks).
local jwks
if cfg.jwks_url then
  jwks = require("policy.jwks").new(cfg.jwks_url, {
    timeout_ms = cfg.jwks_timeout_ms, max_age = cfg.jwks_max_age,
    refetch = cfg.jwks_refetch, retry = cfg.jwks_retry,
  })
else
  local ks, err = jwt.keys {
    secret_env = cfg.secret_env, secret_file = cfg.secret_file,
    secret_file_env = cfg.secret_file_env,
  }
  if not ks then error("config: jwt: " .. err, 0) end
  opts.keys = ks
end

local challenge = { ["WWW-Authenticate"] = "Bearer" }
local refused = { ["WWW-Authenticate"] = 'Bearer error="invalid_token"' }

local function token_of(req)
  local h = req:header "authorization"
  local t = h and h:match "^[Bb]earer +([%w%-_%.=]+) *$"
  return t or cookie.get(req, cookie_name)
end

local function verify(token)
  if jwks then return jwks.verify(token, opts) end
  return jwt.verify(token, opts)
end

-- check(req, ctx) -> the user, or nil, status, code, message, headers
function M.check(req, ctx)
  local token = token_of(req)
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
  return sub
end

return M
