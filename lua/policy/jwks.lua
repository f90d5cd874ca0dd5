-- A JSON Web Key Set (RFC 7517) fetched over HTTP(S) with gw.http, for
-- policy.auth_jwt (SGW_JWT_JWKS_URL). Each worker keeps the set it
-- fetched; it fetches again when a token names a key id (kid) the set
-- does not have, as after the issuer rotated its keys, at most once a
-- minute; and when the set is older than max_age (an hour), so a key the
-- issuer withdrew stops working. While one request fetches, the others
-- of that worker wait for it instead of fetching too.
local http, jwt, time, log = require "gw.http", require "gw.jwt", require "gw.time", require "gw.log"
local event = require "gw.event"

local M = {}

-- new(url, { timeout_ms = 3000, max_age = 3600, refetch = 60, retry = 5 })
--   -> { verify = function(token, verifier) } (verifier: gw.jwt.verifier)
-- refetch: seconds between fetches for an unknown kid; retry: seconds
-- between attempts while fetching fails. verify answers as
-- gw.jwt.verify, or nil, "jwks_unavailable", message when no key set
-- could be fetched.
function M.new(url, o)
  if type(url) ~= "string" or not url:match "^https?://" then
    error("config: jwt.jwks_url must be an http(s) URL", 0)
  end
  o = o or {}
  local timeout_ms, max_age = o.timeout_ms or 3000, o.max_age or 3600
  local refetch, retry = o.refetch or 60, o.retry or 5
  local keys, fetched, tried = nil, -math.huge, -math.huge
  local fetching -- a gw.event while one request fetches; the others wait on it

  local function fetch()
    local status, body = http.request { method = "GET", url = url, timeout_ms = timeout_ms,
      headers = { Accept = "application/json" } }
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

  -- Fetches, unless another request is at it: then waits for that one. A
  -- fetch whose request went away never ends: past its timeout, it is
  -- taken as over.
  local function refresh()
    local now = time.now()
    if fetching and now - tried < timeout_ms / 1000 + 1 then
      fetching:wait(timeout_ms + 1000)
      return
    end
    local done = event.new()
    fetching, tried = done, now
    fetch()
    if fetching == done then fetching = nil end
    done:set()
  end

  local self = {}

  function self.verify(token, verifier)
    local now = time.now()
    if (not keys or now - fetched >= max_age) and (now - tried >= retry or fetching) then
      refresh()
    end
    if not keys then return nil, "jwks_unavailable", "the key set cannot be fetched" end
    local claims, reason, msg = verifier:verify(token, keys)
    if reason == "unknown_kid" and time.now() - tried >= refetch then
      local before = keys
      refresh()
      if keys ~= before then
        claims, reason, msg = verifier:verify(token, keys)
      end
    end
    return claims, reason, msg
  end

  return self
end

return M
