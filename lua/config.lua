-- signgw configuration. This file is Lua: it returns one table.
--
-- It runs once per worker VM, and again on every reload: saving this file
-- or any script under `paths` makes new requests use the new version
-- within a second (SIGHUP forces it); a broken version never goes live.
-- It runs with its own folder as `...`. Secrets never go here: the SecretId/SecretKey come from
-- the environment (COS_SECRET_ID, COS_SECRET_KEY, COS_SECURITY_TOKEN, or
-- files named by COS_SECRET_ID_FILE, COS_SECRET_KEY_FILE and
-- COS_SECURITY_TOKEN_FILE, re-read on SIGHUP) and reach scripts only as
-- the opaque ctx.cred. In S3 mode the same goes for AWS_ACCESS_KEY_ID,
-- AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (ctx.s3_cred).

local env, has = gw.env, gw.has_env

-- Access control, switched on by environment variables (README "Access
-- control"); each value is also a field below. Secrets (SGW_JWT_SECRET,
-- SGW_REDIS_URL with its password) are never read here: gw.jwt and
-- gw.redis read them in C; this file only asks whether they are set.
local jwt_on = has "SGW_JWT_SECRET" or has "SGW_JWT_SECRET_FILE" or has "SGW_JWT_JWKS_URL"
local session_on = has "SGW_SESSION_COOKIE"

-- Which store the upload routes sign for: "cos" (Tencent Cloud COS) or
-- "s3" (AWS S3 and S3-compatible stores: MinIO, R2, ...; policy/s3.lua).
local storage = env("SGW_STORAGE") or "cos"
if storage ~= "cos" and storage ~= "s3" then
  error(("config: SGW_STORAGE must be \"cos\" or \"s3\", not %q"):format(storage), 0)
end
local s3 = storage == "s3"
local static = (env("COS_CREDENTIALS") or "static") == "static"
local get_sign = s3 and "routes.s3_get_sign" or static and "routes.get_sign" or nil

return {
  -- "HOST:PORT", or a list of entries, each "HOST:PORT" (plain HTTP) or
  -- { addr = "HOST:PORT", tls = { cert = PATH, key = PATH } } (HTTPS;
  -- tls = true takes SGW_TLS_CERT and SGW_TLS_KEY). Where no entry says
  -- tls, SGW_TLS_CERT and SGW_TLS_KEY make them all HTTPS. -l overrides.
  listen = "127.0.0.1:3000",
  workers = 0,                 -- 0: one per CPU

  -- Folders searched by require(), relative to this file.
  paths = { "." },

  -- "METHOD /path" = module returning function(req, ctx).
  routes = {
    ["GET /put-sign"]    = s3 and "routes.s3_put_sign" or "routes.put_sign",
    ["GET /post-policy"] = s3 and "routes.s3_post_policy" or "routes.post_policy",
    -- A signed GET of a key in the caller's own folder (policy/owner.lua);
    -- not with COS_CREDENTIALS=sts, whose credentials allow uploads only.
    ["GET /get-sign"]    = get_sign,
    -- CORS preflights of browser pages on other origins (see cors below)
    ["OPTIONS /put-sign"]    = "routes.preflight",
    ["OPTIONS /post-policy"] = "routes.preflight",
    ["OPTIONS /get-sign"]    = get_sign and "routes.preflight" or nil,
    ["GET /_signgw/status"] = "routes.status",  -- reload counters, loopback only
    -- With COS_CREDENTIALS=sts: temporary credentials for Tencent's SDKs
    -- (their getAuthorization callback), limited to the upload prefix.
    ["GET /sts"] = env("COS_CREDENTIALS") == "sts" and "routes.sts" or nil,
  },

  storage = storage,

  cos = {
    bucket = env("COS_BUCKET") or "examplebucket-1250000000",
    region = env("COS_REGION") or "ap-guangzhou",
  },

  -- S3 mode (checked by policy/s3.lua, which documents every field).
  s3 = {
    bucket = env("S3_BUCKET") or "examplebucket",
    region = env("S3_REGION") or "us-east-1",
    endpoint = env("S3_ENDPOINT"),            -- nil: https://s3.<region>.amazonaws.com
    force_path_style = env("S3_FORCE_PATH_STYLE") == "1"  -- MinIO, local servers
      or env("S3_FORCE_PATH_STYLE") == "true",
    sign_content_type = false,                -- opt-in: signed Content-Type
    -- (upload.sign_size signs Content-Length in S3 mode too)
  },

  -- Checked when the config loads (lua/policy/check.lua): a bad value
  -- fails `signgw -t` and the reload, and names this file.
  upload = {
    prefix    = "uploads/",    -- keys are <prefix>YYYYMMDD/<time>_<random>.<ext>
    ext_allow = { "jpg", "jpeg", "png", "gif", "bmp", "webp", "heic", "mp4", "mov" },
    expires   = 900,           -- seconds a signature stays valid
    skew      = 60,            -- seconds it is valid before now (client clock skew)
    min_size  = 0,             -- POST content-length-range
    max_size  = 100 * 1024 * 1024,
    -- true: keys are <prefix><user>/YYYYMMDD/..., with the user the
    -- permission check returns (policy.auth); no valid user: 403.
    user_segment = jwt_on or session_on,
    -- true: /put-sign needs ?size=N (min_size..max_size) and signs
    -- Content-Length: N, so max_size binds PUT too. The seed's client
    -- sends no size: keep it off for it.
    sign_size = false,
    -- conditions = { { "starts-with", "$Content-Type", "image/" } },
  },

  -- Which credential signs: "static" (the permanent key from the
  -- environment) or "sts" (a temporary key from Tencent Cloud STS, asked
  -- for with the permanent one; never a fallback to it). Checked at load.
  credentials = {
    mode       = env("COS_CREDENTIALS") or "static",
    scope      = env("COS_STS_SCOPE") or "key",   -- key: one per signature; prefix: one per worker
    endpoint   = env("COS_STS_ENDPOINT") or "https://sts.tencentcloudapi.com/",
    region     = env("COS_STS_REGION"),           -- default: cos.region
    role_arn   = env("COS_STS_ROLE_ARN"),         -- set: AssumeRole, else GetFederationToken
    duration   = math.tointeger(tonumber(env("COS_STS_DURATION") or "")) or 1800,
    timeout_ms = math.tointeger(tonumber(env("COS_STS_TIMEOUT_MS") or "")) or 5000,
  },

  -- Browser pages on other origins that may call the signing routes:
  -- "https://app.example.com" entries (a list, or one string separated by
  -- commas or spaces); "*" for any origin, without credentials.
  cors = {
    origins = env("SGW_CORS_ORIGINS"),
    max_age = 600,               -- seconds a browser may keep a preflight
    headers = { "authorization", "content-type", "x-requested-with" },
  },

  -- The local dev bucket (a COS stand-in on this machine, plain HTTP):
  -- "auto" runs it only while no COS credentials are set (dev mode), and
  -- the upload routes then point clients at it; true runs it also with
  -- real credentials; false never. It stands in for COS with the
  -- permanent key: not in S3 mode, nor with COS_CREDENTIALS=sts.
  dev = {
    enabled  = env("SGW_DEV") or ((s3 or not static) and "off" or "auto"),
    listen   = env("SGW_DEV_LISTEN") or "127.0.0.1:3001",  -- loopback only
    data_dir = env("SGW_DEV_DATA") or "signgw-dev-data",    -- from the working dir
    max_size = 100 * 1024 * 1024,  -- the largest object it takes
    -- Served by the gateway only while the dev bucket runs: the browser
    -- upload page of examples/web/.
    routes = {
      ["GET /"]          = { file = "../examples/web/index.html" },
      ["GET /upload.js"] = { file = "../examples/web/upload.js" },
    },
  },

  -- The answer to errors the server itself finds (malformed HTTP, unknown
  -- route, too large, a failed script): shaped by policy.shape as well.
  errors = "policy.errors",

  -- Which scripts decide who may upload and how answers look.
  -- See examples/policies/ for a bearer-token check and a {code,data} envelope.
  policy = {
    auth  = jwt_on and "policy.auth_jwt" or session_on and "policy.auth_session" or "policy.auth",
    shape = "policy.shape",
    rate_limit = "policy.rate_limit",  -- used when rate_limit.rate is set
    quota = "policy.quota",            -- used when quota.per_day is set
  },

  -- JSON Web Tokens (policy.auth_jwt): SGW_JWT_SECRET (HS256, the
  -- variable's bytes as they are), SGW_JWT_SECRET_FILE or SGW_JWT_JWKS_URL.
  -- The token comes as "Authorization: Bearer ..." or in the cookie; its
  -- sub is the user, and the folder of the key.
  jwt = {
    secret_env      = has "SGW_JWT_SECRET" and "SGW_JWT_SECRET" or nil,
    secret_file_env = has "SGW_JWT_SECRET_FILE" and "SGW_JWT_SECRET_FILE" or nil,
    jwks_url = env "SGW_JWT_JWKS_URL",    -- fetched with gw.http, kept per worker
    algs     = env "SGW_JWT_ALGS",        -- "HS256,HS384"; default HS256 (a JWKS: RS, PS, ES, EdDSA)
    issuer   = env "SGW_JWT_ISSUER",      -- iss must equal it when set
    audience = env "SGW_JWT_AUDIENCE",    -- aud must hold it when set
    leeway   = env "SGW_JWT_LEEWAY" or 30, -- seconds of clock skew forgiven
    cookie   = env "SGW_JWT_COOKIE" or "token",
  },

  -- Sessions (policy.auth_session): the cookie SGW_SESSION_COOKIE holds a
  -- session id; Redis GET <prefix><id> holds its user.
  session = {
    cookie = env "SGW_SESSION_COOKIE",
    prefix = "session:",
  },

  -- The Redis of sessions and quotas: the URL is read from the variable
  -- url_env by gw.redis (redis://[:password@]host:port/db); never put a
  -- password in this file (url_file = PATH reads it from a file).
  redis = {
    url_env = "SGW_REDIS_URL",
    timeout_ms = 1000,
    connect_timeout_ms = 1000,
    -- Redis unreachable: the quota answers 503 unless this lets requests
    -- through (with a warning in the log). Sessions always fail closed.
    fail_open = env "SGW_REDIS_FAIL_OPEN" == "1",
  },

  -- Signatures per user (or client address) per UTC day, counted in Redis
  -- by every gateway that shares it (policy.quota): SGW_QUOTA_PER_DAY.
  quota = {
    per_day = env "SGW_QUOTA_PER_DAY",
    prefix = "sgw:quota:",
  },

  -- Requests per second per client address, a leaky bucket shared by the
  -- workers of this process (policy.rate_limit): SGW_RATE_LIMIT, and
  -- SGW_RATE_LIMIT_BURST more at once (default 0).
  rate_limit = {
    rate  = env "SGW_RATE_LIMIT",
    burst = env "SGW_RATE_LIMIT_BURST" or 0,
    dict  = "ratelimit",
  },
  shared = has "SGW_RATE_LIMIT" and { ratelimit = "10m" } or nil,

  -- Peers whose X-Forwarded-For / X-Real-IP tell the client's address
  -- (policy.client): SGW_TRUSTED_PROXIES="10.0.0.0/8, ::1".
  trusted_proxies = env "SGW_TRUSTED_PROXIES",

  -- Outbound HTTP(S) from scripts (gw.http): STS, session stores, JWKS.
  -- TLS is verified against the system trust store, or only against
  -- ca_file (env SGW_CA_FILE) when set.
  outbound = {
    ca_file            = env("SGW_CA_FILE"),
    connect_timeout_ms = 5000,
    timeout_ms         = 10000,    -- per request unless it sets timeout_ms
    max_response       = 1048576,  -- response body bytes
    max_concurrent     = 256,      -- per worker; more wait in a queue
    max_queued         = 1024,     -- beyond that a request fails at once
  },

  -- Operations. GET /metrics is the Prometheus text format, for the
  -- clients metrics.allow admits (addresses or CIDR blocks; loopback by
  -- default); metrics = false or SGW_METRICS=off turns it off. The access
  -- log is one JSON object per request: "-" (stdout), a file path (SIGUSR1
  -- reopens it, for logrotate) or "off"; SGW_ACCESS_LOG wins over it.
  -- GET /healthz and /readyz are for load balancers and Kubernetes; on
  -- SIGTERM /healthz answers 503 for drain_delay_ms before the listener
  -- closes.
  metrics    = { allow = { "127.0.0.0/8", "::1" } },
  access_log = "off",
  health     = { drain_delay_ms = 0 },

  limits = {
    max_url             = 8192,     -- request target bytes (414 beyond)
    max_header_bytes    = 16384,    -- request line + headers (431 beyond)
    max_headers         = 64,       -- header count (431 beyond)
    max_body            = 1048576,  -- body bytes, chunked too (413 beyond)
    max_connections     = 16384,    -- per worker; more are closed at accept
    header_timeout_ms   = 10000,    -- first byte to end of request (408)
    idle_timeout_ms     = 60000,    -- keep-alive wait for the next request
    send_timeout_ms     = 30000,    -- a client that does not read its answer
    script_timeout_ms   = 1000,     -- Lua run time per request, waits excluded
    script_memory_mb    = 64,       -- per Lua VM (one per worker and generation)
    shutdown_timeout_ms = 10000,    -- SIGTERM: time left for in-flight requests
  },
}
