-- A JSON Web Key Set (RFC 7517) fetched over HTTP(S) with gw.http, for
-- policy.auth_jwt (SGW_JWT_JWKS_URL). Each worker keeps the set it
-- fetched; it fetches again when a token names a key id (kid) the set
-- does not have, as after the issuer rotated its keys, at most once a
-- minute; and when the set is older than max_age (an hour), so a key the
-- issuer withdrew stops working. While one request fetches, the others
-- of that worker wait for it instead of fetching too.
local http, jwt, time, log = require "gw.http", require "gw.jwt", require "gw.time", require "gw.log"

local M = {}

local REFETCH_UNKNOWN_KID = 60 -- seconds between fetches for an unknown kid
local RETRY_FAILED = 5         -- seconds between attempts while it fails

-- new(url [, timeout_ms [, max_age]]) -> { verify = function(token, opts) }
-- verify answers as gw.jwt.verify, or nil, "jwks_unavailable", message
-- when no key set could be fetched.
function M.new(url, timeout_ms, max_age)
  assert(type(url) == "string" and url:match "^https?://", "config: jwt.jwks_url must be an http(s) URL")
  timeout_ms, max_age = timeout_ms or 3000, max_age or 3600
  local keys, fetched, tried, fetching = nil, -math.huge, -math.huge, false

  local function fetch()
    fetching, tried = true, time.now()
    local status, body = http.request { method = "GET", url = url, timeout_ms = timeout_ms,
      headers = { Accept = "application/json" } }
    fetching = false
    if status ~= 200 then
      log.warn(("jwks: fetching %s failed: %s"):format(url, status and ("HTTP " .. status) or body))
      return
    end
    local ks, err = jwt.keys { jwks = body }
    if not ks then
      log.warn(("jwks: %s: %s"):format(url, err))
      return
    end
    keys, fetched = ks, time.now()
  end

  -- Fetches unless another request is at it (then waits for that one).
  local function refresh()
    if fetching then
      local deadline = time.now() + timeout_ms / 1000 + 1
      while fetching and time.now() < deadline do gw.sleep(5) end
      return
    end
    fetch()
  end

  local self = {}

  function self.verify(token, opts)
    local now = time.now()
    if (not keys or now - fetched >= max_age) and now - tried >= RETRY_FAILED then
      refresh()
    elseif not keys and fetching then
      refresh()
    end
    if not keys then return nil, "jwks_unavailable", "the key set cannot be fetched" end
    opts.keys = keys
    local claims, reason, msg = jwt.verify(token, opts)
    if reason == "unknown_kid" and time.now() - tried >= REFETCH_UNKNOWN_KID then
      local before = keys
      refresh()
      if keys ~= before then
        opts.keys = keys
        claims, reason, msg = jwt.verify(token, opts)
      end
    end
    return claims, reason, msg
  end

  return self
end

return M
