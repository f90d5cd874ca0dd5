-- The gw.* modules as scripts see them. Expected values come from the
-- RFCs (hashes, base64) and from JavaScript's encodeURIComponent (URLs).
local eq = require("helpers").eq
local crypto, json, url, time, cos =
  require "gw.crypto", require "gw.json", require "gw.url", require "gw.time", require "gw.cos"

return {
  { "sha1 'abc' (FIPS 180)", function()
      eq(crypto.hex(crypto.sha1 "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1")
    end },
  { "sha256 'abc' (FIPS 180)", function()
      eq(crypto.hex(crypto.sha256 "abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256")
    end },
  { "hmac_sha1 RFC 2202 case 2", function()
      eq(crypto.hex(crypto.hmac_sha1("Jefe", "what do ya want for nothing?")),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "hmac_sha1")
    end },
  { "hmac_sha256 RFC 4231 case 2", function()
      eq(crypto.hex(crypto.hmac_sha256("Jefe", "what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "hmac_sha256")
    end },
  { "base64 RFC 4648", function()
      eq(crypto.base64 "foobar", "Zm9vYmFy", "base64")
      eq(crypto.base64 "fo", "Zm8=", "base64 pad")
      eq(crypto.unbase64 "Zm9vYg==", "foob", "unbase64")
      eq(crypto.unbase64 "Zm9v!mFy", nil, "unbase64 rejects '!'")
      eq(crypto.base64url "\251\255", "-_8", "base64url")
    end },
  { "random_hex length and alphabet", function()
      local h = crypto.random_hex(16)
      eq(#h, 32, "length"); assert(h:match "^[0-9a-f]+$", h)
      assert(h ~= crypto.random_hex(16), "two draws equal")
      eq(pcall(crypto.random_hex, 0), false, "random_hex(0)")
    end },
  { "equal", function()
      eq(crypto.equal("abc", "abc"), true, "same"); eq(crypto.equal("abc", "abd"), false, "differ")
      eq(crypto.equal("abc", "ab"), false, "length")
    end },
  { "url.encode is cam-safe", function()
      -- encodeURIComponent("中文 !'()*~-_.") with ! ' ( ) * escaped
      eq(url.encode "中文 !'()*~-_.", "%E4%B8%AD%E6%96%87%20%21%27%28%29%2A~-_.", "encode")
    end },
  { "url.decode", function()
      eq(url.decode "a%2Fb+c", "a/b+c", "decode"); eq(url.decode("a+b", true), "a b", "plus")
      eq(url.decode "%zz", nil, "bad escape")
    end },
  { "url.query", function()
      local q = url.query "a=1&b=x%20y&a=2&c"
      eq(q.a, "1", "first wins"); eq(q.b, "x y", "decoded"); eq(q.c, "", "no value")
    end },
  { "json.encode scalars and escapes", function()
      eq(json.encode "a\"b\\c\n/", '"a\\"b\\\\c\\n/"', "string")
      eq(json.encode(42), "42", "integer"); eq(json.encode(true), "true", "boolean")
      eq(json.encode { 1, 2, 3 }, "[1,2,3]", "array")
      eq(json.encode {}, "{}", "empty table"); eq(json.encode(json.array()), "[]", "empty array")
      eq(json.encode { a = json.null }, '{"a":null}', "null")
    end },
  { "json.encode refuses what JSON cannot say", function()
      eq(json.encode(0/0), nil, "NaN"); eq(json.encode { f = print }, nil, "function")
      eq(json.encode "\255", nil, "invalid UTF-8")
      local t = {}; t.t = t
      eq(json.encode(t), nil, "cycle")
    end },
  { "json.decode", function()
      local v = json.decode '{"a":[1,2.5,{"b":null}],"s":"\\u4e2d"}'
      eq(v.a[1], 1, "a[1]"); eq(v.a[2], 2.5, "a[2]"); eq(v.a[3].b, json.null, "null")
      eq(v.s, "中", "unicode escape")
      eq(json.decode "{bad", nil, "invalid"); eq(json.decode "1 2", nil, "trailing")
    end },
  { "time", function()
      eq(time.format("%Y%m%d", 0), "19700101", "format"); eq(time.iso8601(86400), "1970-01-02T00:00:00Z", "iso8601")
      assert(math.abs(time.unix() - os.time()) <= 1, "unix() is now")
    end },
  { "cos.host", function()
      eq(cos.host("examplebucket-1250000000", "ap-guangzhou"),
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", "host")
      eq(pcall(cos.host, "a/b", "ap-guangzhou"), false, "bad bucket")
    end },
  { "cos.authorization needs a real credential", function()
      eq(pcall(cos.authorization, { cred = { secret_id = "x" }, path = "/a" }), false, "fake cred")
    end },
}
