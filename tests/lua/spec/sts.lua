-- gw.sts: STS answers become opaque temporary credentials; errors and
-- malformed answers are refused with STS's own code or "bad_response";
-- only a temporary credential's key can be handed out; gw.cos never
-- signs past a credential's expiry.
local eq = require("helpers").eq
local sts, cos, time, json = require "gw.sts", require "gw.cos", require "gw.time", require "gw.json"

local function answer(expires)
  return json.encode{ Response = {
    Credentials = { TmpSecretId = "AKIDtmp0001", TmpSecretKey = "tmpKeyNotPermanent0001", Token = "tok-123" },
    ExpiredTime = expires, Expiration = "2026-01-01T00:00:00Z", RequestId = "req-1" } }
end

return {
  { "a good answer gives an opaque temporary credential", function()
      local exp = time.unix() + 1800
      local cred, info = sts.credential(answer(exp))
      eq(cred.secret_id, "AKIDtmp0001", "secret_id")
      eq(cred.security_token, "tok-123", "token")
      eq(cred.temporary, true, "temporary")
      eq(cred.expires, exp, "expires")
      eq(cred.secret_key, nil, "the key is not a field")
      eq(info.tmp_secret_id, "AKIDtmp0001", "info id")
      eq(info.expired_time, exp, "info expiry")
      eq(info.request_id, "req-1", "request id")
      eq(sts.secret_key(cred), "tmpKeyNotPermanent0001", "handed out on purpose")
    end },
  { "only a temporary credential's key can be handed out", function(req, ctx)
      local ok, err = pcall(sts.secret_key, ctx.cred)
      eq(ok, false, "permanent key refused")
      assert(tostring(err):find("only a temporary credential"), tostring(err))
    end },
  { "STS errors and malformed answers", function()
      local c, msg, code = sts.credential(json.encode{ Response = {
        Error = { Code = "AuthFailure.SignatureFailure", Message = "bad sig" }, RequestId = "r" } })
      eq(c, nil, "error answer")
      eq(code, "AuthFailure.SignatureFailure", "code")
      assert(msg:find("bad sig", 1, true), msg)
      for _, body in ipairs{ "", "{", "[]", '{"Response":1}', '{"Response":{}}',
          '{"Response":{"Credentials":{"TmpSecretId":"a","TmpSecretKey":"b","Token":"c"}}}',
          '{"Response":{"Credentials":{"TmpSecretId":"a\\u0000b","TmpSecretKey":"b","Token":"c"},"ExpiredTime":5}}',
          string.rep(" ", 70000) .. "{}" } do
        local cred, m, k = sts.credential(body)
        eq(cred, nil, "refused: " .. body:sub(1, 40))
        eq(k, "bad_response", "kind for " .. body:sub(1, 40))
        assert(type(m) == "string", "a message")
      end
    end },
  { "a signature ends when its credential does, and an expired one signs nothing", function()
      local now = time.unix()
      local cred = sts.credential(answer(now + 100))
      local auth = cos.authorization{ cred = cred, method = "put", path = "/a.jpg", expires = 3600 }
      local finish = tonumber(auth:match "q%-key%-time=%d+;(%d+)")
      eq(finish, now + 100, "window clamped to the credential")
      local old = sts.credential(answer(now - 10))
      local ok, err = pcall(cos.authorization, { cred = old, method = "put", path = "/a.jpg" })
      eq(ok, false, "expired credential")
      assert(tostring(err):find("expired"), tostring(err))
    end },
}
