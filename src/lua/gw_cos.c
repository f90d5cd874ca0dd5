/* gw.cos: COS signatures for scripts. A thin binding over src/sign/cos.c.
 *
 * Credentials are the opaque `gw.cred` userdata from ctx.cred: scripts can
 * read the SecretId and the security token, never the SecretKey. */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <time.h>

#include "lua/gw_lua.h"
#include "lua/gw_opts.h"
#include "signgw/cos.h"
#include "signgw/error.h"

#define SGW__CRED_MT "gw.cred"
#define SGW__MAX_PAIRS 64
#define SGW__MAX_CONDITIONS 32
#define SGW__DEFAULT_EXPIRES 900
#define SGW__DEFAULT_SKEW 60
#define SGW__OPT_SLOTS 16 /* more than the options any function reads */

/* ---- credentials ----------------------------------------------------- */

static int cred_index(lua_State *L);
static int cred_tostring(lua_State *L);
static int cred_gc(lua_State *L);

/* Pushes the credential metatable, creating it on first use. */
static void cred_metatable(lua_State *L) {
  static const luaL_Reg meta[] = {{"__index", cred_index},
                                  {"__tostring", cred_tostring},
                                  {"__gc", cred_gc},
                                  {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__CRED_MT)) {
    luaL_setfuncs(L, meta, 0);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
  }
}

/* The userdata holds a reference: a temporary credential lives as long
 * as a script keeps it. */
void sgw_lua_push_cred(lua_State *L, sgw_cred_t *cred) {
  sgw_cred_t **ud = lua_newuserdatauv(L, sizeof(*ud), 0);

  *ud = NULL;
  cred_metatable(L);
  lua_setmetatable(L, -2);
  *ud = sgw_cred_ref(cred);
}

static int cred_gc(lua_State *L) {
  sgw_cred_t **ud = luaL_checkudata(L, 1, SGW__CRED_MT);

  sgw_cred_unref(*ud);
  *ud = NULL;
  return 0;
}

static const sgw_cred_t *check_cred(lua_State *L, int idx) {
  sgw_cred_t **ud = luaL_testudata(L, idx, SGW__CRED_MT);

  if (ud == NULL || *ud == NULL)
    luaL_error(L, "'cred' must be a credential (ctx.cred)");
  return *ud;
}

const sgw_cred_t *sgw_lua_check_cred(lua_State *L, int idx) {
  return check_cred(L, idx);
}

static int cred_index(lua_State *L) {
  const sgw_cred_t *c = check_cred(L, 1);
  const char *k = luaL_checkstring(L, 2);

  if (strcmp(k, "secret_id") == 0)
    lua_pushstring(L, c->secret_id);
  else if (strcmp(k, "security_token") == 0)
    lua_pushstring(L, c->security_token); /* nil when none */
  else if (strcmp(k, "placeholder") == 0)
    lua_pushboolean(L, c->placeholder);
  else if (strcmp(k, "temporary") == 0)
    lua_pushboolean(L, c->temporary);
  else if (strcmp(k, "expires") == 0 && c->expires != 0)
    lua_pushinteger(L, (lua_Integer)c->expires);
  else
    lua_pushnil(L);
  return 1;
}

static int cred_tostring(lua_State *L) {
  lua_pushfstring(L, "gw.cred(%s)", check_cred(L, 1)->secret_id);
  return 1;
}

/* ---- the signer ----------------------------------------------------- */

/* Registry key of the signer the VM's owner installed (light userdata). */
static const char signer_key = 0;

void sgw_lua_set_signer(lua_State *L, sgw_signer_t *signer) {
  if (signer != NULL)
    lua_pushlightuserdata(L, signer);
  else
    lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &signer_key);
}

/* The installed signer, or NULL: the cos.h calls then use a one-off
 * signer (a VM built without a worker, e.g. by signgw -t). */
static sgw_signer_t *get_signer(lua_State *L) {
  sgw_signer_t *s;

  lua_rawgetp(L, LUA_REGISTRYINDEX, &signer_key);
  s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return s;
}

/* ---- options (every string stays on the stack: gw_opts.h) ----------- */

/* start/end from explicit values, or now - skew .. now + expires. */
static void opt_key_time(lua_State *L, int t, int64_t *start, int64_t *end) {
  int64_t now = (int64_t)time(NULL);
  lua_Integer expires = sgw__opt_integer(L, t, "expires", SGW__DEFAULT_EXPIRES);
  lua_Integer skew = sgw__opt_integer(L, t, "skew", SGW__DEFAULT_SKEW);

  if (expires <= 0 || expires > 7 * 24 * 3600 || skew < 0 || skew > 3600)
    luaL_error(L, "'expires' must be 1..604800 and 'skew' 0..3600 seconds");
  *start = sgw__opt_integer(L, t, "start", now - skew);
  *end = sgw__opt_integer(L, t, "end", now + expires);
  if (*end <= *start)
    luaL_error(L, "the signature must end after it starts");
}

/* What every signed request has: its key time, headers and parameters. */
static void opt_request(lua_State *L, int64_t *start, int64_t *end,
                        sgw_kv_t *headers, size_t *nheaders, sgw_kv_t *params,
                        size_t *nparams) {
  opt_key_time(L, 1, start, end);
  *nheaders = sgw__opt_pairs(L, 1, "headers", headers, SGW__MAX_PAIRS);
  *nparams = sgw__opt_pairs(L, 1, "params", params, SGW__MAX_PAIRS);
}

/* Checks the options table (argument 1), leaves the cred on the stack and
 * returns it. Makes room for every option a function reads (each string
 * stays on the stack; tables make their own room). */
static const sgw_cred_t *opt_begin(lua_State *L) {
  sgw__opt_begin(L, SGW__OPT_SLOTS);
  lua_getfield(L, 1, "cred");
  return check_cred(L, -1);
}

/* A signature never outlives its credential: a temporary one ends the
 * validity window at its expiry. */
static void cred_window(lua_State *L, const sgw_cred_t *cred, int64_t *end) {
  if (cred->expires == 0 || *end <= cred->expires)
    return;
  if (cred->expires <= (int64_t)time(NULL))
    luaL_error(L, "the credential has expired");
  *end = cred->expires;
}

/* ---- functions ------------------------------------------------------- */

/* Returns the text signing left in `out` (released here), or raises. */
static int push_signed(lua_State *L, int rc, sgw_buf_t *out) {
  if (rc < 0) {
    sgw_buf_free(out);
    return luaL_error(L, "cannot sign: %s", sgw_strerror(rc));
  }
  lua_pushlstring(L, out->base, out->len);
  sgw_buf_free(out);
  return 1;
}

/* host(bucket, region) -> "bucket.cos.region.myqcloud.com" */
static int l_host(lua_State *L) {
  const char *bucket = luaL_checkstring(L, 1);
  const char *region = luaL_checkstring(L, 2);
  sgw_buf_t out;

  sgw_buf_init(&out);
  if (sgw_cos_host(bucket, region, &out) < 0) {
    sgw_buf_free(&out);
    return luaL_error(L, "invalid bucket or region name");
  }
  lua_pushlstring(L, out.base, out.len);
  sgw_buf_free(&out);
  return 1;
}

/* authorization{cred=, method=, path=, headers=, params=, expires=, skew=,
 *               start=, ["end"]=} -> Authorization header value */
static int l_authorization(lua_State *L) {
  sgw_kv_t headers[SGW__MAX_PAIRS], params[SGW__MAX_PAIRS];
  sgw_cos_sign_t req = {0};
  const sgw_cred_t *cred;
  sgw_buf_t out;

  cred = opt_begin(L);
  req.secret_id = cred->secret_id;
  req.secret_key = cred->secret_key;
  req.method = sgw__opt_string(L, 1, "method", "get", NULL);
  req.path = sgw__opt_string(L, 1, "path", NULL, &req.path_len);
  if (req.path == NULL)
    return luaL_error(L, "'path' is required");
  opt_request(L, &req.start, &req.end, headers, &req.nheaders, params,
              &req.nparams);
  cred_window(L, cred, &req.end);
  req.headers = headers;
  req.params = params;

  sgw_buf_init(&out);
  return push_signed(L, sgw_cos_authorization(get_signer(L), &req, &out),
                     &out);
}

static void set_field(lua_State *L, const char *k, const char *v, size_t len) {
  lua_pushlstring(L, v, len);
  lua_setfield(L, -2, k);
}

/* post_policy{cred=, bucket=, key=, expires=, skew=, min_size=, max_size=,
 *             conditions={...}} -> {policy, q_sign_algorithm,
 *             q_ak, q_key_time, q_signature, security_token} */
static int l_post_policy(lua_State *L) {
  const char *conds[SGW__MAX_CONDITIONS];
  sgw_cos_policy_t p = {0};
  sgw_cos_policy_result_t res;
  const sgw_cred_t *cred;
  int rc;

  cred = opt_begin(L);
  p.secret_id = cred->secret_id;
  p.secret_key = cred->secret_key;
  p.security_token = cred->security_token;
  p.bucket = sgw__opt_string(L, 1, "bucket", NULL, NULL);
  p.key = sgw__opt_string(L, 1, "key", NULL, NULL);
  if (p.bucket == NULL || p.key == NULL)
    return luaL_error(L, "'bucket' and 'key' are required");
  opt_key_time(L, 1, &p.start, &p.end);
  cred_window(L, cred, &p.end);
  p.min_size = sgw__opt_integer(L, 1, "min_size", 0);
  p.max_size = sgw__opt_integer(L, 1, "max_size", 0);
  if (p.min_size < 0 || (p.max_size > 0 && p.max_size < p.min_size))
    return luaL_error(L, "'min_size'/'max_size' out of order");
  p.nextra_conditions =
      sgw__opt_conditions(L, 1, conds, 0, SGW__MAX_CONDITIONS);
  p.extra_conditions = conds;

  rc = sgw_cos_post_policy(get_signer(L), &p, &res);
  if (rc < 0) {
    sgw_cos_policy_result_free(&res);
    return luaL_error(L, "cannot sign the policy: %s", sgw_strerror(rc));
  }
  lua_createtable(L, 0, 6);
  set_field(L, "policy", res.policy_b64.base, res.policy_b64.len);
  set_field(L, "q_sign_algorithm", "sha1", 4);
  set_field(L, "q_ak", cred->secret_id, strlen(cred->secret_id));
  set_field(L, "q_key_time", res.key_time, strlen(res.key_time));
  set_field(L, "q_signature", res.signature, strlen(res.signature));
  if (cred->security_token != NULL)
    set_field(L, "security_token", cred->security_token,
              strlen(cred->security_token));
  sgw_cos_policy_result_free(&res);
  return 1;
}

/* presign_url{cred=, method=, key=, host= | bucket= and region=,
 *             scheme=, headers=, params=, expires=, skew=, start=, ["end"]=}
 *   -> the presigned URL (the COS form: signature in the query, and
 *      x-cos-security-token when the credential has a token) */
static int l_presign_url(lua_State *L) {
  sgw_kv_t headers[SGW__MAX_PAIRS], params[SGW__MAX_PAIRS];
  sgw_cos_presign_t p = {0};
  const sgw_cred_t *cred;
  const char *bucket, *region;
  sgw_buf_t out, host;
  int rc;

  cred = opt_begin(L);
  p.secret_id = cred->secret_id;
  p.secret_key = cred->secret_key;
  p.security_token = cred->security_token;
  p.method = sgw__opt_string(L, 1, "method", "get", NULL);
  p.key = sgw__opt_string(L, 1, "key", NULL, &p.key_len);
  p.scheme = sgw__opt_string(L, 1, "scheme", "https", NULL);
  p.host = sgw__opt_string(L, 1, "host", NULL, NULL);
  bucket = sgw__opt_string(L, 1, "bucket", NULL, NULL);
  region = sgw__opt_string(L, 1, "region", NULL, NULL);
  if (p.key == NULL)
    return luaL_error(L, "'key' is required");
  if (strcmp(p.scheme, "https") != 0 && strcmp(p.scheme, "http") != 0)
    return luaL_error(L, "'scheme' must be \"https\" or \"http\"");
  if ((p.host == NULL) == (bucket == NULL || region == NULL))
    return luaL_error(L, "give 'host', or 'bucket' and 'region'");
  opt_request(L, &p.start, &p.end, headers, &p.nheaders, params,
              &p.nparams);
  cred_window(L, cred, &p.end);
  p.headers = headers;
  p.params = params;

  sgw_buf_init(&out);
  sgw_buf_init(&host);
  if (p.host == NULL && sgw_cos_host(bucket, region, &host) < 0) {
    sgw_buf_free(&host);
    return luaL_error(L, "invalid bucket or region name");
  }
  if (p.host == NULL)
    p.host = host.base;
  rc = sgw_cos_presign_url(get_signer(L), &p, &out);
  sgw_buf_free(&host);
  return push_signed(L, rc, &out);
}

int luaopen_gw_cos(lua_State *L) {
  static const luaL_Reg funcs[] = {{"host", l_host},
                                   {"authorization", l_authorization},
                                   {"post_policy", l_post_policy},
                                   {"presign_url", l_presign_url},
                                   {NULL, NULL}};

  cred_metatable(L);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
