-- S3 mode (SGW_STORAGE=s3, or storage = "s3" in the config): what the S3
-- routes share. The same permission check, extension allowlist, key
-- layout and response shaping as COS mode; the store is any S3-compatible
-- one (AWS S3, MinIO, Cloudflare R2, COS's S3 endpoint), signed with
-- SigV4 by gw.s3 using ctx.s3_cred (AWS_ACCESS_KEY_ID,
-- AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
--
-- The settings are checked as this module loads: a bad value fails the
-- reload or `signgw -t`, naming the config file.
--
--   s3 = {
--     bucket = "my-uploads",
--     region = "us-east-1",            -- R2: "auto"
--     endpoint = nil,                  -- nil: https://s3.<region>.amazonaws.com
--     force_path_style = false,        -- true for MinIO and local servers
--     sign_content_type = false,       -- PUT and POST carry a signed Content-Type
--     content_types = { heic = "image/heic" }, -- extension -> type, over the defaults
--   }
-- and, as in COS mode, upload.sign_size = true: /put-sign needs ?size=N
-- and signs Content-Length.
local s3, check = require "gw.s3", require "policy.check"

local cfg = gw.config
-- The rate limit, the permission check, the extension check, the quota
-- and the key: policy.gate, as in COS mode.
local gate = require "policy.gate"
local settings, shape = gate.settings, gate.shape

local MAX_EXPIRES = 7 * 24 * 3600 -- SigV4 presigned URLs live at most a week

local function s3_settings()
  local c = check.section(cfg, "s3")
  local s = {}
  s.bucket = check.string(c, "s3.bucket", "bucket", "^[%w][%w._-]*$",
    "an S3 bucket name like \"my-uploads\" (letters, digits, '.', '_', '-')")
  if #s.bucket > 255 or s.bucket:match "^xn%-%-" or s.bucket:match "%-%-xa?%-s3$" then
    check.fail("s3.bucket %q is not a bucket name signgw can sign for", s.bucket)
  end
  s.region = check.string(c, "s3.region", "region", "^[%w][%w._-]*$",
    "a region like \"us-east-1\" (R2: \"auto\")", "us-east-1")
  if #s.region > 64 then check.fail("s3.region is longer than 64 characters") end
  local endpoint = check.get(c, "endpoint")
  if endpoint ~= nil then
    local ok, why = type(endpoint) == "string" and s3.endpoint(endpoint)
    if not ok then
      check.fail("s3.endpoint must be an http:// or https:// URL (%s), not %s",
        why or "a string", tostring(endpoint))
    end
    s.endpoint = endpoint
  elseif not s.region:match "^[a-z0-9][a-z0-9-]*$" or s.region:sub(-1) == "-" then
    check.fail("s3.region %q makes no AWS endpoint: set s3.endpoint", s.region)
  end
  s.path_style = check.boolean(c, "s3.force_path_style", "force_path_style", false)
  s.sign_content_type = check.boolean(c, "s3.sign_content_type", "sign_content_type", false)
  if settings.expires > MAX_EXPIRES then
    check.fail("upload.expires must be at most %d seconds in S3 mode", MAX_EXPIRES)
  end
  -- S3 POST policies know eq, starts-with and content-length-range; COS's
  -- in / not-in would make every upload fail.
  for i, cond in ipairs(settings.conditions or {}) do
    local op = rawget(cond, 1)
    if op ~= nil and op ~= "eq" and op ~= "starts-with" then
      check.fail("upload.conditions[%d]: S3 POST policies have no %q condition", i, op)
    end
  end
  s.content_types = {
    jpg = "image/jpeg", jpeg = "image/jpeg", png = "image/png", gif = "image/gif",
    bmp = "image/bmp", webp = "image/webp", heic = "image/heic", mp4 = "video/mp4",
    mov = "video/quicktime",
  }
  local types = check.get(c, "content_types")
  if types ~= nil then
    if type(types) ~= "table" then check.fail("s3.content_types must be a table") end
    for ext, t in pairs(types) do
      if type(ext) ~= "string" or type(t) ~= "string" or not t:match "^[%w!#$&^_.+-]+/[%w!#$&^_.+-]+$" then
        check.fail("s3.content_types must map extensions to types like \"image/png\"")
      end
      s.content_types[ext:lower()] = t
    end
  end
  return s
end

local S = s3_settings()

local M = { shape = shape, settings = settings, s3 = S }

-- owned_key(req, ctx) -> key, or nil, status, body, headers: a key in the
-- caller's own folder (policy/owner.lua).
M.owned_key = require("policy.owner").key

-- The options every gw.s3 call of this generation shares, plus `extra`.
function M.opts(ctx, extra)
  extra.cred = ctx.s3_cred
  extra.bucket = S.bucket
  extra.region = S.region
  extra.endpoint = S.endpoint
  extra.path_style = S.path_style
  return extra
end

-- The Content-Type a file of this extension is signed with.
function M.content_type(ext)
  return S.content_types[ext] or "application/octet-stream"
end

-- prepare(req, ctx) -> key, ext, or nil, status, body, headers: as COS
-- mode's policy.upload.prepare (permission, extension, random key, with
-- the user's folder when upload.user_segment is on; see policy.gate).
M.prepare = gate.upload_key

return M
