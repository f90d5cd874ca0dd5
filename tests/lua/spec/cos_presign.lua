-- gw.cos.presign_url: the options reach the C signer (checked against the
-- official SDK's getObjectUrl in oracle.verify). Here: the URL's form, and
-- that its signature is the one gw.cos.authorization makes for the same
-- request (GET of "/" .. key with the Host header and the parameters).
local eq = require("helpers").eq
local cos = require "gw.cos"

local function field(url, name)
  return url:match("[?&]" .. name:gsub("%-", "%%-") .. "=([^&]*)")
end

return {
  { "bucket and region, parameters, headers", function(_, ctx)
      local host = "b-1250000000.cos.ap-guangzhou.myqcloud.com"
      local url = cos.presign_url {
        cred = ctx.cred, bucket = "b-1250000000", region = "ap-guangzhou",
        key = "dir/中 a.jpg", start = 1700000000, ["end"] = 1700000900,
        params = { ["response-content-type"] = "text/plain" },
        headers = { ["x-cos-meta-a"] = "1", ["x-cos-meta-empty"] = "" },
      }
      local base = "https://" .. host .. "/dir/%E4%B8%AD%20a.jpg?"
      eq(url:sub(1, #base), base, "scheme, host, encoded key")
      eq(field(url, "q-ak"), ctx.cred.secret_id, "q-ak")
      eq(field(url, "q-sign-time"), "1700000000;1700000900", "q-sign-time")
      eq(field(url, "q-header-list"), "host;x-cos-meta-a", "empty headers are not signed")
      eq(field(url, "q-url-param-list"), "response-content-type", "param list")
      eq(field(url, "response-content-type"), "text%2Fplain", "param in the query")
      eq(field(url, "x-cos-security-token"), nil, "no token without one")
      local auth = cos.authorization {
        cred = ctx.cred, method = "get", path = "/dir/中 a.jpg",
        start = 1700000000, ["end"] = 1700000900,
        headers = { host = host, ["x-cos-meta-a"] = "1" },
        params = { ["response-content-type"] = "text/plain" },
      }
      eq(field(url, "q-signature"), auth:match "q%-signature=(%x+)$", "signature")
    end },
  { "host and scheme for a local bucket; method", function(_, ctx)
      local url = cos.presign_url { cred = ctx.cred, host = "127.0.0.1:9000",
        scheme = "http", method = "PUT", key = "k", expires = 60 }
      assert(url:find("^http://127%.0%.0%.1:9000/k%?q%-sign%-algorithm=sha1&"), url)
      local s, e = field(url, "q-sign-time"):match "^(%d+);(%d+)$"
      eq(tonumber(e) - tonumber(s), 60 + 60, "expires plus the default skew")
      local auth = cos.authorization { cred = ctx.cred, method = "put", path = "/k",
        start = tonumber(s), ["end"] = tonumber(e), headers = { host = "127.0.0.1:9000" } }
      eq(field(url, "q-signature"), auth:match "q%-signature=(%x+)$", "signature")
    end },
  { "bad options are errors", function(_, ctx)
      local function fails(opts, what)
        opts.cred = opts.cred or ctx.cred
        eq(pcall(cos.presign_url, opts), false, what)
      end
      fails({ host = "h" }, "no key")
      fails({ key = "k" }, "no host")
      fails({ key = "k", host = "h", bucket = "b-1", region = "ap-x" }, "host and bucket")
      fails({ key = "k", bucket = "b/1", region = "ap-x" }, "bad bucket")
      fails({ key = "k", host = "h", scheme = "ftp" }, "scheme")
      fails({ key = "k", host = "h", method = "" }, "empty method")
      fails({ key = "k", host = "h", expires = 0 }, "expires")
      eq(pcall(cos.presign_url, { key = "k", host = "h" }), false, "no cred")
    end },
}
