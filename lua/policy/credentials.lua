-- Which credential signs an upload.
--
--   static (the default): the permanent one from the environment (ctx.cred).
--   sts: a temporary credential from Tencent Cloud STS, and never the
--        permanent key (no fallback): with scope "key" one per signature,
--        its CAM policy allowing exactly that upload on exactly that
--        object; with scope "prefix" one per worker for the whole upload
--        prefix, reused, refreshed before it expires, fetched by one
--        request while the others wait for it.
--
-- The CAM policies are built here: change them (per-user prefixes, more
-- actions) without touching C.
local check, sts = require "policy.check", require "policy.sts"
local event, time, log = require "gw.event", require "gw.time", require "gw.log"

local cfg = gw.config
local bucket, region = check.cos(cfg)
local up = check.upload(cfg)
local s = check.credentials(cfg, region)

local M = { mode = s.mode, scope = s.scope }

local appid = bucket:match "%-(%d+)$"

-- A CAM resource: the bucket's object `key` ("*" wildcards allowed).
function M.resource(key)
  return ("qcs::cos:%s:uid/%s:%s/%s"):format(region, appid, bucket, key)
end

-- The CAM policy of a temporary credential: `actions` on `resources`,
-- and no object larger than upload.max_size.
function M.policy(actions, resources)
  return {
    version = "2.0",
    statement = { {
      effect = "allow", action = actions, resource = resources,
      condition = { numeric_less_than_equal = { ["cos:content-length"] = up.max_size } },
    } },
  }
end

M.ACTIONS = { put = "name/cos:PutObject", post = "name/cos:PostObject" }
-- What Tencent's SDKs need for simple and multipart uploads (GET /sts).
M.SDK_ACTIONS = {
  "name/cos:PutObject", "name/cos:PostObject",
  "name/cos:InitiateMultipartUpload", "name/cos:ListMultipartUploads",
  "name/cos:ListParts", "name/cos:UploadPart", "name/cos:CompleteMultipartUpload",
  "name/cos:AbortMultipartUpload",
}

local function fetch(ctx, policy)
  return sts.fetch{
    cred = ctx.cred, endpoint = s.endpoint, region = s.region, policy = policy,
    duration = s.duration, timeout_ms = s.timeout_ms, name = s.name, role_arn = s.role_arn,
  }
end

-- The answer when no credential can be had: 504 when STS timed out,
-- else 502. The cause goes to the log (never a key), not to the client.
local function unavailable(ctx, why, kind, shape)
  log.warn("temporary credentials unavailable:", why)
  local status = kind == "timeout" and 504 or 502
  return nil, shape.error(status, "credentials_unavailable",
    "temporary credentials are unavailable, try again later", nil, ctx)
end

-- Prefix scope: one credential per worker (this module's state lives in
-- the worker's VM), refreshed this long before it expires.
local cached, cached_info, fresh_until
local inflight, inflight_since, last_why, last_kind
local margin = math.min(up.expires, s.duration // 2)

local function prefix_credential(ctx)
  local now = time.now()
  if cached and now < fresh_until then return cached, cached_info end
  -- A leader whose request went away never sets its event: after the
  -- STS timeout, another request takes over.
  if inflight and now - inflight_since > s.timeout_ms / 1000 + 1 then inflight = nil end
  if inflight then
    inflight:wait(s.timeout_ms + 1000)
    if cached and time.now() < cached_info.expired_time - 1 then return cached, cached_info end
    return nil, last_why or "STS call in progress did not finish", last_kind or "timeout"
  end
  local ev = event.new()
  inflight, inflight_since = ev, now
  local cred, info, kind = fetch(ctx, M.policy(
    { M.ACTIONS.put, M.ACTIONS.post }, { M.resource(up.prefix .. "*") }))
  if inflight == ev then inflight = nil end
  if cred then
    cached, cached_info, fresh_until = cred, info, info.expired_time - margin
  else
    last_why, last_kind = info, kind
  end
  ev:set()
  if not cred then return nil, info, kind end
  return cred, info
end

-- for_upload(ctx, key, method, shape) -> cred, or nil, status, body, headers
-- method: "put" or "post".
function M.for_upload(ctx, key, method, shape)
  if s.mode == "static" then return ctx.cred end
  local cred, why, kind
  if s.scope == "key" then
    cred, why, kind = fetch(ctx, M.policy({ M.ACTIONS[method] }, { M.resource(key) }))
  else
    cred, why, kind = prefix_credential(ctx)
  end
  if not cred then return unavailable(ctx, why, kind, shape) end
  return cred
end

-- for_sdk(ctx, prefix, shape) -> cred, info, or nil, status, body, headers
-- A credential for Tencent's SDKs (GET /sts): the upload actions under
-- `prefix` only. Only in sts mode.
function M.for_sdk(ctx, prefix, shape)
  local cred, info, kind = fetch(ctx, M.policy(M.SDK_ACTIONS, { M.resource(prefix .. "*") }))
  if not cred then return unavailable(ctx, info, kind, shape) end
  return cred, info
end

M.duration = s.duration

return M
