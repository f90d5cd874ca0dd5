-- Checks of the config's settings, run while a generation is built: the
-- modules that read settings (policy/upload.lua) check them as they load,
-- so a bad value fails `signgw -t` and the reload, and the running
-- generation keeps serving, instead of every request failing later.
--
-- A failed check raises an error whose message starts with "config: ";
-- signgw then names the config file instead of the script that checked.
-- Checks of your own settings work the same way, from your own module:
--
--   local check = require "policy.check"
--   local my = check.section(gw.config, "myapp")
--   local retries = check.integer(my, "myapp.retries", 0, 10, 3)
--
-- Every getter reads a table that may be "strict" (its __index raising
-- for keys it does not have): such a key counts as absent.
local keys = require "policy.keys"

local M = {}

-- Raises the "config: ..." error that names the config file.
function M.fail(fmt, ...)
  error("config: " .. fmt:format(...), 0)
end

local function index(t, k) return t[k] end

-- t[k]; absent when a strict table refuses the key.
function M.get(t, k)
  local v = rawget(t, k)
  if v ~= nil or getmetatable(t) == nil then return v end
  local ok, got = pcall(index, t, k)
  if ok then return got end
  return nil
end

local function describe(v)
  if v == nil then return "missing" end
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

-- t[name]: `default` when absent (a failure when there is none), else it
-- must pass ok(v); `what` says what it must be.
local function setting(t, path, name, default, ok, what)
  local v = M.get(t, name)
  if v == nil and default ~= nil then return default end
  if v == nil or not ok(v) then M.fail("%s must be %s, not %s", path, what, describe(v)) end
  return v
end

-- The table t[name] (`path` names it in messages).
function M.section(t, path, name, default)
  return setting(t, path, name or path, default,
    function(v) return type(v) == "table" end, "a table")
end

-- An integer setting from min to max.
function M.integer(t, path, name, min, max, default)
  return setting(t, path, name, default,
    function(v) return math.type(v) == "integer" and v >= min and v <= max end,
    ("an integer from %d to %d"):format(min, max))
end

-- A string setting matching `pattern` (what it must be: `what`).
function M.string(t, path, name, pattern, what, default)
  return setting(t, path, name, default,
    function(v) return type(v) == "string" and v:match(pattern) ~= nil end, what)
end

-- A number setting from min to max (an integer one when `integer`). Text
-- that reads as a number counts too: the shipped config passes SGW_*
-- environment variables through as they are.
function M.number(t, path, name, min, max, default, integer)
  local v = M.get(t, name)
  if v == nil and default ~= nil then return default end
  local n = tonumber(v)
  if integer then n = math.tointeger(n) end
  if n == nil or n ~= n or n < min or n > max then
    M.fail("%s must be %s from %s to %s, not %s", path, integer and "an integer" or "a number",
      tostring(min), tostring(max), describe(v))
  end
  return n
end

function M.boolean(t, path, name, default)
  return setting(t, path, name, default,
    function(v) return type(v) == "boolean" end, "true or false")
end

-- v must be a list (entries 1..n and nothing else) of at most `max`.
local function check_list(v, path, max)
  if type(v) ~= "table" then M.fail("%s must be a list, not %s", path, describe(v)) end
  local n = 0
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 then
      M.fail("%s must be a list, but has the key %s", path, describe(k))
    end
    n = n + 1
  end
  if n ~= rawlen(v) then M.fail("%s must be a list without holes", path) end
  if n > max then M.fail("%s has %d entries, more than %d", path, n, max) end
  return v
end

-- A list setting of at most `max` entries.
function M.list(t, path, name, max, default)
  local v = M.get(t, name)
  if v == nil and default ~= nil then return default end
  return check_list(v, path, max)
end

-- ---- what the shipped scripts read ----

local COS_MAX_UPLOAD = 5 * 1024 * 1024 * 1024 -- the largest single upload COS takes
local MAX_EXPIRES = 7 * 24 * 3600 -- what gw.cos signs

-- One extra POST policy condition, in COS's forms: { field = "value" }
-- (exact), { "eq" | "starts-with", "$field", "value" } or
-- { "in" | "not-in", "$field", { "value", ... } }.
-- A string that goes into the policy's JSON: valid UTF-8.
local function text(v) return type(v) == "string" and utf8.len(v) ~= nil end

local function check_condition(c, path)
  if type(c) ~= "table" then
    M.fail("%s must be a table, not %s", path, describe(c))
  end
  local op = rawget(c, 1)
  if op == nil then -- { field = "value" }
    local k, v = next(c)
    if not text(k) or not text(v) or next(c, k) ~= nil then
      M.fail("%s must be { field = \"value\" } or { op, \"$field\", value }", path)
    end
    return
  end
  if op == "content-length-range" then
    M.fail("%s: set upload.min_size and upload.max_size instead of a content-length-range condition", path)
  end
  check_list(c, path, 3)
  local field, value = rawget(c, 2), rawget(c, 3)
  if type(field) ~= "string" or not field:match "^%$[%w%-_]+$" then
    M.fail("%s: the field must look like \"$Content-Type\", not %s", path, describe(field))
  end
  if op == "eq" or op == "starts-with" then
    if not text(value) then
      M.fail("%s: %s needs a UTF-8 string value, not %s", path, op, describe(value))
    end
  elseif op == "in" or op == "not-in" then
    check_list(value, path .. "[3]", 256)
    if #value == 0 then M.fail("%s: %s needs a list of strings", path, op) end
    for i, s in ipairs(value) do
      if not text(s) then M.fail("%s: %s value %d must be a UTF-8 string", path, op, i) end
    end
  else
    M.fail("%s: unknown condition %s (eq, starts-with, in, not-in)", path, describe(op))
  end
end

-- cfg.upload, checked, as a plain table:
-- { prefix, ext_allow (lower case), expires, skew, min_size, max_size,
--   conditions, user_segment }
function M.upload(cfg)
  local up = M.section(cfg, "upload")
  local s = {}
  s.prefix = M.get(up, "prefix")
  if not keys.valid_prefix(s.prefix) then
    M.fail("upload.prefix must use only [A-Za-z0-9/_.-], not start with '/', " ..
      "contain '..', and end with '/' (or be \"\"), not %s", describe(s.prefix))
  end
  local allow = M.list(up, "upload.ext_allow", "ext_allow", 256)
  if #allow == 0 then M.fail("upload.ext_allow must list at least one extension") end
  s.ext_allow = {}
  for i, ext in ipairs(allow) do
    if type(ext) ~= "string" or not ext:match "^[%w]+$" or #ext > 16 then
      M.fail("upload.ext_allow[%d] must be 1 to 16 letters or digits, not %s", i, describe(ext))
    end
    s.ext_allow[i] = ext:lower()
  end
  s.expires = M.integer(up, "upload.expires", "expires", 1, MAX_EXPIRES, 900)
  s.skew = M.integer(up, "upload.skew", "skew", 0, 3600, 60)
  s.min_size = M.integer(up, "upload.min_size", "min_size", 0, COS_MAX_UPLOAD, 0)
  s.max_size = M.integer(up, "upload.max_size", "max_size", 1, COS_MAX_UPLOAD, COS_MAX_UPLOAD)
  if s.min_size > s.max_size then
    M.fail("upload.min_size (%d) must not be larger than upload.max_size (%d)", s.min_size, s.max_size)
  end
  local conds = M.get(up, "conditions")
  if conds ~= nil then
    check_list(conds, "upload.conditions", 32)
    for i, c in ipairs(conds) do check_condition(c, ("upload.conditions[%d]"):format(i)) end
    s.conditions = conds
  end
  s.user_segment = M.boolean(up, "upload.user_segment", "user_segment", false)
  s.sign_size = M.boolean(up, "upload.sign_size", "sign_size", false)
  return s
end

-- cfg.credentials: which credential signs (static or sts) and how STS is
-- reached. `cos_region` is the default STS region.
function M.credentials(cfg, cos_region)
  local c = M.section(cfg, "credentials", nil, {})
  local s = {}
  s.mode = M.get(c, "mode") or "static"
  if s.mode ~= "static" and s.mode ~= "sts" then
    M.fail('credentials.mode (COS_CREDENTIALS) must be "static" or "sts", not %s', describe(s.mode))
  end
  s.scope = M.get(c, "scope") or "key"
  if s.scope ~= "key" and s.scope ~= "prefix" then
    M.fail('credentials.scope (COS_STS_SCOPE) must be "key" or "prefix", not %s', describe(s.scope))
  end
  s.endpoint = M.string(c, "credentials.endpoint", "endpoint", "^https?://[%w.-]+:?%d*/?$",
    "an http(s) URL of a host (COS_STS_ENDPOINT)", "https://sts.tencentcloudapi.com/")
  s.region = M.string(c, "credentials.region", "region", "^[a-z][a-z0-9-]*$",
    "a region like \"ap-guangzhou\" (COS_STS_REGION)", cos_region)
  local arn = M.get(c, "role_arn")
  if arn ~= nil and arn ~= "" then
    s.role_arn = M.string(c, "credentials.role_arn", "role_arn", "^qcs::cam::[%w:/._-]+$",
      "a CAM role like \"qcs::cam::uin/100000000001:roleName/signgw\" (COS_STS_ROLE_ARN)")
  end
  -- STS's limits: AssumeRole up to 12 hours, GetFederationToken up to 2.
  s.duration = M.integer(c, "credentials.duration", "duration", 900,
    s.role_arn and 43200 or 7200, 1800)
  s.timeout_ms = M.integer(c, "credentials.timeout_ms", "timeout_ms", 100, 60000, 5000)
  s.name = M.string(c, "credentials.name", "name", "^[%w+=,.@_-]+$",
    "1 to 32 of [A-Za-z0-9+=,.@_-]", "signgw")
  if #s.name > 32 then M.fail("credentials.name is longer than 32 characters") end
  return s
end

-- cfg.cos: the bucket ("name-APPID") and its region.
function M.cos(cfg)
  local c = M.section(cfg, "cos")
  local bucket = M.string(c, "cos.bucket", "bucket", "^[a-z0-9][a-z0-9-]*%-%d+$",
    "a COS bucket name like \"examplebucket-1250000000\"")
  if #bucket > 64 then M.fail("cos.bucket is longer than 64 characters") end
  local region = M.string(c, "cos.region", "region", "^[a-z][a-z0-9-]*$",
    "a COS region like \"ap-guangzhou\"")
  if #region > 40 then M.fail("cos.region is longer than 40 characters") end
  return bucket, region
end

-- The module cfg.policy[role] names (default "policy.<role>"), loaded; it
-- must be a table with the functions listed in `needs`.
function M.module(cfg, role, needs)
  local policy = M.section(cfg, "policy", nil, {})
  local path = "policy." .. role
  local name = M.string(policy, path, role, "^[%w_]+[%w_.]*$", "a module name",
    "policy." .. role)
  if name:find("..", 1, true) or name:sub(-1) == "." then
    M.fail("%s must be a module name, not %s", path, describe(name))
  end
  local ok, mod = pcall(require, name)
  if not ok then
    mod = tostring(mod)
    if mod:sub(1, 8) == "config: " then error(mod, 0) end -- its own settings
    M.fail("%s: cannot load %s: %s", path, describe(name), (mod:gsub(":?\n%s*", "; ")))
  end
  if type(mod) ~= "table" then
    M.fail("%s: module %s must return a table, not %s", path, describe(name), type(mod))
  end
  for _, fn in ipairs(needs) do
    if type(mod[fn]) ~= "function" then
      M.fail("%s: module %s has no function %s", path, describe(name), fn)
    end
  end
  return mod
end

return M
