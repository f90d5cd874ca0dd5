-- gw.s3 as scripts see it. The expected URLs, fields and headers come from
-- the AWS SDK for JavaScript v3: tests/oracle/gen_s3_vectors.js wrote
-- tests/lua/s3_vectors.lua with the S3 credential this spec's server runs with
-- (tests/lua/run.test.js). Also: the credential stays opaque, misuse
-- raises errors that never hold the secret, defaults.
local helpers = require "helpers"
local eq, count = helpers.eq, helpers.count
local s3, time = require "gw.s3", require "gw.time"
local V = require "s3_vectors"

local SECRET_PART = "NeverLeaves"

local function with_cred(ctx, opts)
  local o = { cred = ctx.s3_cred }
  for k, v in pairs(opts) do o[k] = v end
  return o
end

local function find_case(name)
  for _, c in ipairs(V.cases) do
    if c.name == name then return c end
  end
  error("no vector " .. name)
end

-- pcall(f, ...) must fail, with a message that holds `what` and no secret.
local function refuses(what, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, what .. ": no error")
  err = tostring(err)
  assert(err:find(what, 1, true), ("expected %q in %q"):format(what, err))
  assert(not err:find(SECRET_PART, 1, true), "the secret is in the error: " .. err)
end

local spec = {
  { "the vectors' credential is the server's S3 credential", function(req, ctx)
      eq(ctx.s3_cred.secret_id, V.access_key_id, "access key id")
      eq(ctx.s3_cred.security_token, V.session_token, "session token")
      eq(ctx.s3_cred.secret_key, nil, "the secret is not readable")
      eq(ctx.s3_cred.placeholder, false, "placeholder")
      assert(not tostring(ctx.s3_cred):find(SECRET_PART, 1, true), "tostring shows the secret")
      assert(ctx.cred.secret_id ~= ctx.s3_cred.secret_id, "COS and S3 credentials are apart")
    end },
  { "gw.env refuses the S3 secrets, not the access key id", function()
      refuses("credential", gw.env, "AWS_SECRET_ACCESS_KEY")
      refuses("credential", gw.env, "AWS_SESSION_TOKEN")
      eq(gw.env "AWS_ACCESS_KEY_ID", V.access_key_id, "AWS_ACCESS_KEY_ID")
    end },
}

for _, c in ipairs(V.cases) do
  spec[#spec + 1] = { "matches the SDK: " .. c.name, function(req, ctx)
    local o = with_cred(ctx, c.opts)
    if c.kind == "presign" then
      local url, headers = s3.presign_url(o)
      eq(url, c.expected.url, "url")
      for name, value in pairs(c.opts.headers or {}) do eq(headers[name], value, name) end
      eq(count(headers), count(c.opts.headers or {}), "headers to send")
    elseif c.kind == "post" then
      local p = s3.post_policy(o)
      eq(p.url, c.expected.url, "url")
      for name, value in pairs(c.expected.fields) do eq(p.fields[name], value, name) end
      eq(count(p.fields), count(c.expected.fields), "number of fields")
    else
      local r = s3.authorization(o)
      eq(r.url, c.expected.url, "url")
      eq(r.headers.Authorization, c.expected.authorization, "Authorization")
      eq(r.headers["X-Amz-Date"], c.expected["x-amz-date"], "X-Amz-Date")
      eq(r.headers["X-Amz-Content-Sha256"], c.expected["x-amz-content-sha256"], "X-Amz-Content-Sha256")
      eq(r.headers["X-Amz-Security-Token"], V.session_token, "X-Amz-Security-Token")
      for name, value in pairs(c.opts.headers or {}) do eq(r.headers[name], value, name) end
    end
  end }
end

local more = {
  { "switching endpoints back and forth keeps each right", function(req, ctx)
      local a, b = find_case "presigned PUT with a signed content-type",
        find_case "presigned GET from MinIO on loopback"
      for _ = 1, 3 do
        eq((s3.presign_url(with_cred(ctx, a.opts))), a.expected.url, "AWS")
        eq((s3.presign_url(with_cred(ctx, b.opts))), b.expected.url, "MinIO")
      end
    end },
  { "x-amz-* headers travel in the URL, others are to be sent", function(req, ctx)
      local url, headers = s3.presign_url(with_cred(ctx, { method = "PUT", bucket = "b-1", key = "k",
        headers = { ["Content-Type"] = "image/png", ["x-amz-meta-owner"] = "u1", ["Content-Length"] = 10 } }))
      eq(headers["Content-Type"], "image/png", "Content-Type")
      eq(headers["Content-Length"], "10", "a number becomes text")
      eq(headers["x-amz-meta-owner"], nil, "hoisted")
      assert(url:find("x-amz-meta-owner=u1", 1, true), url)
      assert(url:find("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost", 1, true), url)
    end },
  { "date defaults to now, expires to 900", function(req, ctx)
      local url = s3.presign_url(with_cred(ctx, { bucket = "b-1", key = "k" }))
      local d = url:match "X%-Amz%-Date=(%d+T%d+Z)"
      local now = time.unix()
      local ok = false
      for t = now - 5, now + 1 do ok = ok or os.date("!%Y%m%dT%H%M%SZ", t) == d end
      assert(ok, "X-Amz-Date " .. tostring(d))
      assert(url:find("X-Amz-Expires=900&", 1, true), url)
      assert(url:find("^https://b%-1%.s3%.us%-east%-1%.amazonaws%.com/k%?"), url)
    end },
  { "post_policy min_size/max_size become the first condition", function(req, ctx)
      local p = s3.post_policy(with_cred(ctx, { bucket = "b-1", key = "k", min_size = 1, max_size = 99 }))
      local policy = require("gw.json").decode(require("gw.crypto").unbase64(p.fields.Policy))
      eq(policy.conditions[1][1], "content-length-range", "first condition")
      eq(policy.conditions[1][2], 1, "min")
      eq(policy.conditions[1][3], 99, "max")
    end },
  { "authorization: UNSIGNED-PAYLOAD and no token header without a token", function(req, ctx)
      local r = s3.authorization(with_cred(ctx, { method = "GET", bucket = "b-1", key = "k",
        payload_hash = "UNSIGNED-PAYLOAD", query = { ["response-content-type"] = "text/plain" } }))
      eq(r.headers["X-Amz-Content-Sha256"], "UNSIGNED-PAYLOAD", "payload hash")
      assert(r.url:find("?response-content-type=text%2Fplain", 1, true), r.url)
    end },
  { "misuse raises, and no message holds the secret", function(req, ctx)
      local cred = ctx.s3_cred
      refuses("cred", s3.presign_url, { bucket = "b", key = "k" })
      refuses("cred", s3.presign_url, { cred = "AKIA...", bucket = "b", key = "k" })
      refuses("'bucket' is required", s3.presign_url, { cred = cred, key = "k" })
      refuses("'endpoint'", s3.presign_url, { cred = cred, bucket = "b", key = "k", endpoint = "ftp://x" })
      refuses("'endpoint'", s3.presign_url, { cred = cred, bucket = "b", key = "k", endpoint = "https://u:p@h" })
      refuses("'region'", s3.presign_url, { cred = cred, bucket = "b", key = "k", region = "Bad Region" })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b/x", key = "k" })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b", key = "k", expires = 0 })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b", key = "k", expires = 604801 })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b", key = "k", method = "get" })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b", key = "k",
        headers = { host = "evil.example" } })
      refuses("cannot sign the URL", s3.presign_url, { cred = cred, bucket = "b", key = "k",
        query = { ["X-Amz-Signature"] = "0" } })
      refuses("'headers' must be a table", s3.presign_url, { cred = cred, bucket = "b", key = "k", headers = "x" })
      refuses("must map strings", s3.presign_url, { cred = cred, bucket = "b", key = "k", headers = { true } })
      refuses("'expires' must be an integer", s3.presign_url, { cred = cred, bucket = "b", key = "k", expires = "x" })
      refuses("NUL", s3.presign_url, { cred = cred, bucket = "b\0x", key = "k" })
      refuses("'bucket' and 'key' are required", s3.post_policy, { cred = cred, bucket = "b" })
      refuses("NUL", s3.post_policy, { cred = cred, bucket = "b", key = "k\0x" })
      refuses("'min_size' needs 'max_size'", s3.post_policy, { cred = cred, bucket = "b", key = "k", min_size = 5 })
      refuses("min <= max", s3.post_policy, { cred = cred, bucket = "b", key = "k", min_size = 5, max_size = 4 })
      refuses("'conditions' must be a list", s3.post_policy, { cred = cred, bucket = "b", key = "k",
        conditions = { "x" } })
      refuses("cannot sign the POST policy", s3.post_policy, { cred = cred, bucket = "b", key = "k",
        fields = { Policy = "x" } })
      refuses("cannot sign the request", s3.authorization, { cred = cred, bucket = "b", key = "k",
        payload_hash = "nope" })
      refuses("cannot sign the request", s3.authorization, { cred = cred, bucket = "b", key = "k",
        headers = { ["x-amz-date"] = "now" } })
    end },
  { "endpoint() reads URLs as signing does", function()
      local e = s3.endpoint "https://MinIO.Example.COM:443/base/"
      eq(e.https, true, "https")
      eq(e.host, "minio.example.com", "host")
      eq(e.port, nil, "default port")
      eq(e.path, "/base/", "path")
      e = s3.endpoint "http://127.0.0.1:9000"
      eq(e.https, false, "http")
      eq(e.port, 9000, "port")
      eq(e.path, "", "root path")
      for _, bad in ipairs { "ftp://h", "https://u@h", "https://h?q", "https://h/../x", "h:9000", "https://h\0" } do
        local ok, err = s3.endpoint(bad)
        assert(ok == nil and type(err) == "string", bad)
      end
    end },
  { "a key with a NUL byte is refused, not cut short", function(req, ctx)
      refuses("cannot sign the URL", s3.presign_url, with_cred(ctx, { bucket = "b-1", key = "a\0b" }))
    end },
  { "the secret never shows", function(req, ctx)
      for _, c in ipairs(V.cases) do
        local o = with_cred(ctx, c.opts)
        local r
        if c.kind == "presign" then r = { s3.presign_url(o) }
        elseif c.kind == "post" then r = s3.post_policy(o)
        else r = s3.authorization(o) end
        local text = require("gw.json").encode(r)
        assert(not text:find(SECRET_PART, 1, true), c.name .. " shows the secret")
      end
    end },
}
for _, c in ipairs(more) do spec[#spec + 1] = c end

return spec
