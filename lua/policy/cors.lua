-- CORS for browser pages on other origins that call the signing routes.
--
-- The config's cors.origins (by default the environment's
-- SGW_CORS_ORIGINS) lists them: a list, or one string separated by commas
-- or spaces, of "scheme://host[:port]" with no path. A listed origin is
-- echoed in Access-Control-Allow-Origin, with
-- Access-Control-Allow-Credentials (so pages with session cookies work);
-- "*" lets any other origin read the answers too, but never with
-- credentials. Every answer says Vary: Origin. An origin not listed gets
-- no CORS header at all, so the browser keeps the answer from its page.
--
-- The settings are checked as this module loads: a bad origin fails the
-- reload (and signgw -t), naming the config file.
local check = require "policy.check"

local cfg = check.section(gw.config, "cors", nil, {})
local raw = check.get(cfg, "origins")
local max_age = check.integer(cfg, "cors.max_age", "max_age", 0, 86400, 600)
local allow_headers = check.list(cfg, "cors.headers", "headers", 32,
  { "authorization", "content-type", "x-requested-with" })

-- origin -> true; `any` for "*".
local listed, any = {}, false

local function add(origin, where)
  if origin == "*" then any = true; return end
  local o = origin:lower()
  if not (o:match "^https?://[%w%-%.]+$" or o:match "^https?://[%w%-%.]+:%d+$"
      or o:match "^https?://%[[%x:%.]+%]$" or o:match "^https?://%[[%x:%.]+%]:%d+$") then
    check.fail("%s: %q is not an origin like \"https://app.example.com\" " ..
      "(scheme, host, optional port; no path, no trailing '/')", where, origin)
  end
  listed[o] = true
end

if type(raw) == "string" then
  for o in raw:gmatch "[^,%s]+" do add(o, "cors.origins") end
elseif type(raw) == "table" then
  for i, o in ipairs(check.list(cfg, "cors.origins", "origins", 256)) do
    if type(o) ~= "string" then check.fail("cors.origins[%d] must be a string", i) end
    add(o, ("cors.origins[%d]"):format(i))
  end
elseif raw ~= nil then
  check.fail("cors.origins must be a list or a string of origins, not %s", type(raw))
end

local header_list = {}
for i, h in ipairs(allow_headers) do
  if type(h) ~= "string" or not h:match "^[%w!#$%%&'*+%-.^_`|~]+$" then
    check.fail("cors.headers[%d] must be a header name", i)
  end
  header_list[i] = h:lower()
end
header_list = table.concat(header_list, ", ")

local M = { enabled = any or next(listed) ~= nil }

-- How the answer to `origin` may be shared: the origin to allow and
-- whether with credentials, or nil.
local function allow(origin)
  if origin == nil then return nil end
  if listed[origin:lower()] then return origin, true end
  if any then return "*", false end
  return nil
end

local VARY = { Vary = "Origin" } -- read only: the common answer's headers

-- headers(req, headers) -> the answer's headers with the CORS ones added
-- (a new table; `headers` is left as it is).
function M.headers(req, headers)
  local origin, credentials = allow(req:header "origin")
  if origin == nil and headers == nil then return VARY end
  local h = {}
  if headers then for k, v in pairs(headers) do h[k] = v end end
  h.Vary = h.Vary and (h.Vary .. ", Origin") or "Origin"
  if origin then
    h["Access-Control-Allow-Origin"] = origin
    if credentials then h["Access-Control-Allow-Credentials"] = "true" end
  end
  return h
end

-- wrap(handler) -> a handler whose answers carry the CORS headers (the
-- handler itself when no origin is listed: nothing to add, not even Vary).
function M.wrap(handler)
  if not M.enabled then return handler end
  return function(req, ctx)
    local status, body, headers = handler(req, ctx)
    return status, body, M.headers(req, headers)
  end
end

-- preflight(req, shape, ctx) -> status, body, headers: the answer to a
-- browser's OPTIONS before it calls a signing route (GET).
function M.preflight(req, shape, ctx)
  local method = req:header "access-control-request-method"
  local origin, credentials = allow(req:header "origin")
  if req:header "origin" == nil or method == nil then
    return shape.error(400, "bad_request",
      "not a CORS preflight: Origin and Access-Control-Request-Method are needed",
      { Vary = "Origin" }, ctx)
  end
  if origin == nil then
    return shape.error(403, "origin_not_allowed",
      "this origin is not in cors.origins (SGW_CORS_ORIGINS)", { Vary = "Origin" }, ctx)
  end
  if method ~= "GET" then
    return shape.error(403, "method_not_allowed", "the signing routes take GET", { Vary = "Origin" }, ctx)
  end
  local h = {
    Vary = "Origin",
    ["Access-Control-Allow-Origin"] = origin,
    ["Access-Control-Allow-Methods"] = "GET",
    ["Access-Control-Allow-Headers"] = header_list,
    ["Access-Control-Max-Age"] = max_age,
  }
  if credentials then h["Access-Control-Allow-Credentials"] = "true" end
  return 204, nil, h
end

return M
