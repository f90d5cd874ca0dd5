-- gw.s3 keeps the option strings it signs with alive while C uses them,
-- even when they come from a proxy table (an __index function, so nothing
-- else holds them) and the collector runs between reading them and
-- signing, as gw.cos does (cos_options.lua). Each __index call allocates
-- heavily, which runs the collector (tests/lua/proxies.lua). The expected
-- value is the same call with a plain table; in the sanitizer build a
-- string freed too early is a use-after-free that aborts the server, so
-- the driver sees no answer.
local eq = require("helpers").eq
local s3 = require "gw.s3"
local P = require "proxies"

local next_id, proxy, plain = P.next_id, P.proxy, P.plain

-- What every call shares: the store and the date, all new strings.
local function common(ctx)
  local r, b = next_id(), next_id()
  local endpoint = "http://" .. string.rep("e", 40) .. ".example:9000/" .. next_id()
  return {
    cred = ctx.s3_cred, date = 1764388800, expires = 600, path_style = true,
    region = function() return ("region-%d"):format(r) end,
    bucket = function() return ("bucket-%d"):format(b) end,
    endpoint = function() return endpoint:sub(1) end,
  }
end

-- A table as text, keys sorted, to compare answers by value.
local function text(v)
  if type(v) ~= "table" then return ("%q"):format(v) end
  local keys, out = {}, {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = ("%q=%s"):format(k, text(v[k])) end
  return "{" .. table.concat(out, ",") .. "}"
end

local function key_of()
  local key = "dir/" .. string.rep("k", 60) .. "/" .. next_id() .. ".jpg"
  return function() return key:sub(1) end
end

return {
  { "presign_url reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local values = common(ctx)
        local hv = string.rep("h", 50) .. next_id()
        values.key = key_of()
        values.method = function() return ("P%s"):format("UT") end
        values.headers = function() return { ["x-amz-meta-a"] = hv:sub(1), ["x-amz-meta-n"] = 7 } end
        values.query = function() return { q = hv:sub(1), n = 8 } end
        local want_url, want_headers = s3.presign_url(plain(values))
        local url, headers = s3.presign_url(proxy(values))
        eq(url, want_url, "url")
        eq(text(headers), text(want_headers), "headers")
      end
    end },
  { "post_policy reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local values = common(ctx)
        local meta = string.rep("m", 50) .. next_id()
        values.key = key_of()
        values.min_size, values.max_size = 1, 1024
        values.fields = function() return { ["Content-Type"] = meta:sub(1) } end
        values.conditions = function() return { { ["x-amz-meta-a"] = meta:sub(1) } } end
        local want = s3.post_policy(plain(values))
        eq(text(s3.post_policy(proxy(values))), text(want), "url and fields")
      end
    end },
  { "authorization reads a proxy table under collector pressure", function(_, ctx)
      for _ = 1, 3 do
        local values = common(ctx)
        local body = string.rep("b", 80) .. next_id()
        values.key = key_of()
        values.method = "PUT"
        values.body = function() return body:sub(1) end
        values.headers = function() return { ["content-type"] = body:sub(1, 40) } end
        local want = s3.authorization(plain(values))
        eq(text(s3.authorization(proxy(values))), text(want), "url and headers")
      end
    end },
}
