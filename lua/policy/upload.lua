-- COS mode's uploads: the bucket and its host, and what both upload
-- routes do before they sign (policy.gate: the rate limit, the permission
-- check, the extension check, the quota and the choice of key).
--
-- The settings are checked here, as the module loads (policy/check.lua):
-- a bad value fails the reload or `signgw -t`, naming the config file.
local cos, check = require "gw.cos", require "policy.check"

local cfg = gw.config
local settings = check.upload(cfg)
local bucket, region = check.cos(cfg)
local gate = require "policy.gate" -- as in S3 mode
local shape = gate.shape

-- The config is fixed for a generation, and so is the bucket's host. In
-- dev mode (gw.dev) uploads go to the local dev bucket, over plain HTTP.
local dev = gw.dev
local host = dev and dev.host or cos.host(bucket, region)
if dev then bucket = dev.bucket end

-- M.settings: the checked upload settings (see check.upload); M.scheme:
-- how clients reach M.host ("https", or "http" for the dev bucket).
local M = { shape = shape, host = host, bucket = bucket, settings = settings,
  scheme = dev and dev.scheme or "https" }

-- prepare(req, ctx) -> key, ext, or nil, status, body, headers
-- (the bucket and its host are M.bucket and M.host); authorize(req, ctx)
-- -> true, or nil, status, body, headers: the rate limit and the
-- permission check alone (also for routes that sign no key, such as
-- /sts). Both are policy.gate's, which says what they check.
M.prepare = gate.upload_key
M.authorize = gate.authorize

return M
