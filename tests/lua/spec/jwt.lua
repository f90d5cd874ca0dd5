-- gw.jwt as scripts see it: argument checking, refusals as (nil, reason,
-- message), key sets that never show a secret, and gw.env refusing the
-- JWT secret variables. Needs no token maker: signed tokens from jose are
-- checked by tests/e2e/jwt.test.js through the same module.
local eq = require("helpers").eq
local jwt, crypto = require "gw.jwt", require "gw.crypto"

local function b64(s) return crypto.base64url(s) end
local function token(header, payload, sig)
  return b64(header) .. "." .. b64(payload) .. "." .. (sig or "c2ln")
end

-- A key set whose secret is a variable every test run sets (the public
-- COS SecretId), so that a leak would be plain to see.
local SECRET_VAR, SECRET = "COS_SECRET_ID", gw.env "COS_SECRET_ID"
local function secret_keys()
  return assert(jwt.keys { secret_env = SECRET_VAR })
end

local function raises(fn, pattern, what)
  local ok, err = pcall(fn)
  eq(ok, false, what .. " raises")
  assert(tostring(err):find(pattern, 1, true), what .. ": unexpected error " .. tostring(err))
end

local function refused(want, tok, opts, what)
  local claims, reason, msg = jwt.verify(tok, opts)
  eq(claims, nil, what .. " claims")
  eq(reason, want, what .. " reason")
  assert(type(msg) == "string" and #msg > 0, what .. ": no message")
  assert(not msg:find(SECRET, 1, true), what .. ": message shows the secret")
end

return {
  { "gw.env refuses the JWT secret variables", function()
      raises(function() return gw.env "SGW_JWT_SECRET" end, "credential", "SGW_JWT_SECRET")
      raises(function() return gw.env "SGW_JWT_SECRET_FILE" end, "credential", "SGW_JWT_SECRET_FILE")
    end },
  { "keys{} misuse raises", function()
      raises(function() return jwt.keys() end, "table expected", "no table")
      raises(function() return jwt.keys {} end, "give secret_env", "empty")
      raises(function() return jwt.keys { secret = "x" } end, "unknown option 'secret'", "unknown field")
      raises(function() return jwt.keys { pem = 5 } end, "pem must be a string", "pem type")
      raises(function() return jwt.keys { secret_env = "A", secret_file = "/b" } end, "not both", "two secrets")
      raises(function() return jwt.keys { secret_file_env = "A", secret_file = "/b" } end, "not both", "file and file_env")
    end },
  { "keys{} that cannot load return nil, message", function()
      local ks, err = jwt.keys { secret_env = "SGW_TEST_JWT_NEVER_SET_VARIABLE" }
      eq(ks, nil, "unset variable")
      assert(err:find("SGW_TEST_JWT_NEVER_SET_VARIABLE", 1, true), err)
      ks, err = jwt.keys { secret_file_env = "SGW_TEST_JWT_NEVER_SET_VARIABLE" }
      eq(ks, nil, "unset file variable")
      assert(err:find("SGW_TEST_JWT_NEVER_SET_VARIABLE is not set", 1, true), err)
      ks, err = jwt.keys { secret_file = "/nonexistent/jwt-secret" }
      eq(ks, nil, "missing file"); assert(err:find("/nonexistent/jwt-secret", 1, true), err)
      ks, err = jwt.keys { pem_file = "/nonexistent/key.pem" }
      eq(ks, nil, "missing pem file")
      ks, err = jwt.keys { pem = "hello" }
      eq(ks, nil, "not PEM"); assert(err:find("PEM", 1, true), err)
      ks, err = jwt.keys { jwks = "{" }
      eq(ks, nil, "bad JWKS"); assert(err:find("JSON", 1, true), err)
      ks, err = jwt.keys { jwks = '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' }
      eq(ks, nil, "oct JWKS"); assert(err:find("oct", 1, true), err)
      -- A secret never fails silently into a key set without it.
      ks, err = jwt.keys { secret_env = SECRET_VAR, pem = "nope" }
      eq(ks, nil, "secret plus bad pem")
    end },
  { "a key set never shows its secret", function()
      local ks = secret_keys()
      eq(#ks, 1, "count")
      local s = tostring(ks)
      eq(s, "gw.jwt.keyset (1 keys)", "tostring")
      eq(getmetatable(ks), "gw.jwt.keyset", "metatable is hidden")
    end },
  { "verify misuse raises", function()
      local ks = secret_keys()
      raises(function() return jwt.verify("a.b.c") end, "table expected", "no opts")
      raises(function() return jwt.verify("a.b.c", { algs = { "HS256" } }) end, "keys must come from", "no keys")
      raises(function() return jwt.verify("a.b.c", { keys = {}, algs = { "HS256" } }) end, "keys must come from", "fake keys")
      raises(function() return jwt.verify("a.b.c", { keys = ks }) end, "algs must be", "no algs")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = {} }) end, "algs is empty", "empty algs")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "none" } }) end, "never", "alg none")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "hs256" } }) end, "not supported", "alg case")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "HS256" }, audience = "x" }) end,
        "unknown option 'audience'", "typo in an option")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "HS256" }, leeway = -1 }) end,
        "non-negative", "negative leeway")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "HS256" }, aud = { 1 } }) end,
        "aud[1]", "aud type")
      raises(function() return jwt.verify("a.b.c", { keys = ks, algs = { "HS256" }, require_exp = 1 }) end,
        "boolean", "require_exp type")
      raises(function() return jwt.verify({}, { keys = ks, algs = { "HS256" } }) end, "string expected", "token type")
    end },
  { "refusals are nil, reason, message", function()
      local opts = { keys = secret_keys(), algs = { "HS256" } }
      refused("malformed", nil, opts, "no token")
      refused("malformed", "", opts, "empty")
      refused("malformed", "abc", opts, "one part")
      refused("malformed", "a.b.c.d", opts, "four parts")
      refused("too_large", ("a"):rep(8193), opts, "8193 bytes")
      refused("malformed", token('{"alg":"HS256"}', "{}", "c2ln="), opts, "padding")
      refused("malformed", token("[1]", "{}"), opts, "header array")
      refused("alg_not_allowed", token('{"alg":"none"}', '{"sub":"a"}', ""), opts, "none, empty signature")
      refused("alg_not_allowed", token('{"alg":"none"}', '{"sub":"a"}'), opts, "none")
      refused("alg_not_allowed", token('{"alg":"HS512"}', '{"sub":"a"}'), opts, "outside the list")
      refused("key_mismatch", token('{"alg":"RS256"}', '{"sub":"a"}'), { keys = opts.keys, algs = { "RS256" } },
        "RS256 against a secret")
      refused("unsupported", token('{"alg":"HS256","crit":["x"],"x":1}', "{}"), opts, "crit")
      refused("bad_signature", token('{"alg":"HS256"}', '{"sub":"a"}', b64(("\0"):rep(32))), opts, "forged")
    end },
  { "an unknown kid in a JWKS is its own reason", function()
      -- RFC 7517 appendix A.1, the second (RSA) public key.
      local jwks = [[{"keys":[{"kty":"RSA","kid":"2011-04-29","alg":"RS256","e":"AQAB",
        "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}]}]]
      local ks = assert(jwt.keys { jwks = jwks })
      local opts = { keys = ks, algs = { "RS256" } }
      refused("unknown_kid", token('{"alg":"RS256","kid":"2024-01-01"}', "{}"), opts, "unknown kid")
      refused("bad_signature", token('{"alg":"RS256","kid":"2011-04-29"}', "{}", b64(("\1"):rep(256))), opts,
        "known kid, forged")
      refused("key_mismatch", token('{"alg":"RS384","kid":"2011-04-29"}', "{}"),
        { keys = ks, algs = { "RS384" } }, "JWK alg pins RS256")
    end },
  { "verifier{} reads the options once; misuse raises", function()
      raises(function() return jwt.verifier() end, "table expected", "no table")
      raises(function() return jwt.verifier { algs = { "none" } } end, "never will be", "alg none")
      raises(function() return jwt.verifier { algs = { "HS256" }, keys = secret_keys() } end,
        "unknown option 'keys'", "keys go with each call")
      raises(function() return jwt.verifier { algs = { "HS256" }, require_exp = 1 } end, "boolean", "require_exp")
      local v = jwt.verifier { algs = { "HS256" }, iss = "me", aud = { "a", "b" }, leeway = 5 }
      raises(function() return v:verify("a.b.c", {}) end, "keys must come from gw.jwt.keys", "bad keys")
      local c, reason = v:verify(nil, secret_keys())
      eq(c, nil, "no token"); eq(reason, "malformed", "no token reason")
      c, reason = v:verify("a.b.c", secret_keys())
      eq(c, nil, "garbage"); eq(reason, "malformed", "garbage reason")
      eq(getmetatable(v), "gw.jwt.verifier", "metatable is protected")
    end },
}
