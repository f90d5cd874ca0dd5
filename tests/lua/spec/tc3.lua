-- gw.tc3 as scripts see it. The expected headers come from the official
-- SDK (tencentcloud-sdk-nodejs-common Sign.sign3): tests/oracle/
-- gen_tc3_vectors.js wrote tests/lua/tc3_vectors.lua with the credential this
-- spec's server runs with (tests/lua/run.test.js).
local helpers = require "helpers"
local eq, count = helpers.eq, helpers.count
local tc3, time = require "gw.tc3", require "gw.time"
local V = require "tc3_vectors"

local function opts(ctx, over)
  local o = { cred = ctx.cred, service = V.service, host = V.host, action = V.action,
    version = V.version, region = V.region, payload = V.payload, timestamp = V.timestamp }
  for k, v in pairs(over or {}) do o[k] = v end
  return o
end

return {
  { "the vector's credential is the server's", function(req, ctx)
      eq(ctx.cred.secret_id, V.secret_id, "secret_id")
      eq(ctx.cred.security_token, nil, "no token")
    end },
  { "sign matches the SDK, header by header", function(req, ctx)
      local h = tc3.sign(opts(ctx))
      for name, want in pairs(V.headers) do eq(h[name], want, name) end
      eq(count(h), count(V.headers), "number of headers")
    end },
  { "the signature covers the payload", function(req, ctx)
      local h = tc3.sign(opts(ctx, { payload = V.payload .. " " }))
      assert(h.Authorization ~= V.headers.Authorization, "same signature for another body")
    end },
  { "timestamp defaults to now", function(req, ctx)
      local o = opts(ctx)
      o.timestamp = nil
      local h = tc3.sign(o)
      local ts = tonumber(h["X-TC-Timestamp"])
      assert(ts and math.abs(ts - time.unix()) <= 5, "X-TC-Timestamp " .. tostring(ts))
      assert(h.Authorization:find("/" .. os.date("!%Y-%m-%d", ts) .. "/sts/tc3_request", 1, true),
        "scope date of " .. h.Authorization)
    end },
  { "no region, no X-TC-Region", function(req, ctx)
      local o = opts(ctx)
      o.region = nil
      local h = tc3.sign(o)
      eq(h["X-TC-Region"], nil, "X-TC-Region")
      eq(h.Authorization, V.headers.Authorization, "region is not signed")
    end },
  { "content_type is sent normalised", function(req, ctx)
      local h = tc3.sign(opts(ctx, { content_type = " Application/JSON; Charset=UTF-8 " }))
      eq(h["Content-Type"], "application/json; charset=utf-8", "Content-Type")
      eq(h.Authorization, V.headers.Authorization, "same as the default")
    end },
  { "the key never shows", function(req, ctx)
      local h = tc3.sign(opts(ctx))
      for name, v in pairs(h) do
        assert(not v:find("NeverLeaves", 1, true), name .. " holds the key")
      end
    end },
  { "needs a real credential", function(req, ctx)
      eq(pcall(tc3.sign, opts(ctx, { cred = { secret_id = V.secret_id, secret_key = "x" } })), false, "fake cred")
      eq(pcall(tc3.sign, opts(ctx, { cred = "AKID" })), false, "string cred")
      local o = opts(ctx); o.cred = nil
      eq(pcall(tc3.sign, o), false, "no cred")
    end },
  { "misuse raises", function(req, ctx)
      eq(pcall(tc3.sign), false, "no options")
      for _, k in ipairs { "service", "host", "action", "version", "payload" } do
        local o = opts(ctx); o[k] = nil
        local ok, err = pcall(tc3.sign, o)
        eq(ok, false, "without " .. k)
        assert(tostring(err):find(k, 1, true), "error names " .. k .. ": " .. tostring(err))
      end
      eq(pcall(tc3.sign, opts(ctx, { payload = {} })), false, "table payload")
      eq(pcall(tc3.sign, opts(ctx, { timestamp = 1.5 })), false, "fractional timestamp")
      eq(pcall(tc3.sign, opts(ctx, { timestamp = "now" })), false, "string timestamp")
      eq(pcall(tc3.sign, opts(ctx, { timestamp = -1 })), false, "negative timestamp")
    end },
  { "bad values are refused, not signed", function(req, ctx)
      local bad = {
        { host = "[::1]:443" }, { host = "a b" }, { host = "127.1" }, { host = "h:99999" },
        { action = "Get\r\nX-Evil: 1" }, { service = "sts/x" }, { region = "ap/x" },
        { content_type = "application/json\n" }, { version = "" },
      }
      for _, over in ipairs(bad) do
        local k, v = next(over)
        local ok, err = pcall(tc3.sign, opts(ctx, over))
        eq(ok, false, k .. "=" .. v)
        assert(tostring(err):find("cannot sign", 1, true), tostring(err))
      end
    end },
}
