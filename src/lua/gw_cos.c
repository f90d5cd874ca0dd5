/* gw.cos: COS signatures for scripts. A thin binding over src/sign/cos.c.
 *
 * Credentials are the opaque `gw.cred` userdata from ctx.cred: scripts can
 * read the SecretId and the security token, never the SecretKey. */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <time.h>

#include "lua/gw_lua.h"
#include "signgw/cos.h"
#include "signgw/error.h"

#define SGW__CRED_MT "gw.cred"
#define SGW__MAX_PAIRS 64
#define SGW__MAX_CONDITIONS 32
#define SGW__DEFAULT_EXPIRES 900
#define SGW__DEFAULT_SKEW 60

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

/* ---- option helpers -------------------------------------------------- */

static const char *opt_string(lua_State *L, int t, const char *k,
                              const char *def, size_t *len) {
  const char *s;

  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    if (len)
      *len = def ? strlen(def) : 0;
    return def;
  }
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "'%s' must be a string", k);
  s = lua_tolstring(L, -1, len);
  lua_pop(L, 1); /* still referenced by the options table */
  return s;
}

static lua_Integer opt_integer(lua_State *L, int t, const char *k,
                               lua_Integer def) {
  int isnum;
  lua_Integer v;

  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum)
    luaL_error(L, "'%s' must be an integer", k);
  lua_pop(L, 1);
  return v;
}

/* start/end from explicit values, or now - skew .. now + expires. */
static void opt_key_time(lua_State *L, int t, int64_t *start, int64_t *end) {
  int64_t now = (int64_t)time(NULL);
  lua_Integer expires = opt_integer(L, t, "expires", SGW__DEFAULT_EXPIRES);
  lua_Integer skew = opt_integer(L, t, "skew", SGW__DEFAULT_SKEW);

  if (expires <= 0 || expires > 7 * 24 * 3600 || skew < 0 || skew > 3600)
    luaL_error(L, "'expires' must be 1..604800 and 'skew' 0..3600 seconds");
  *start = opt_integer(L, t, "start", now - skew);
  *end = opt_integer(L, t, "end", now + expires);
  if (*end <= *start)
    luaL_error(L, "the signature must end after it starts");
}

/* The anchor table at `slot`, made on first use: most calls convert
 * nothing and should not allocate a table for it. */
static int opt_anchor(lua_State *L, int slot) {
  if (lua_isnil(L, slot)) {
    lua_newtable(L);
    lua_replace(L, slot);
  }
  return slot;
}

/* Collects a name->value table into kv. Strings are kept alive by the
 * table itself; numbers are converted and anchored in `anchor`. */
static size_t opt_pairs(lua_State *L, int t, const char *k, int anchor,
                        sgw_kv_t *kv) {
  size_t n = 0;

  if (lua_getfield(L, t, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  luaL_argcheck(L, lua_istable(L, -1), 1, "headers/params must be tables");
  for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING ||
        (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      luaL_error(L, "'%s' must map strings to strings or numbers", k);
    if (n == SGW__MAX_PAIRS)
      luaL_error(L, "too many entries in '%s'", k);
    kv[n].name = lua_tolstring(L, -2, &kv[n].name_len);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_pushvalue(L, -1);
      kv[n].value = lua_tolstring(L, -1, &kv[n].value_len);
      luaL_ref(L, opt_anchor(L, anchor));
    } else {
      kv[n].value = lua_tolstring(L, -1, &kv[n].value_len);
    }
    n++;
  }
  lua_pop(L, 1);
  return n;
}

/* Checks the options table (argument 1), keeps stack slot 2 for an anchor
 * of converted strings (its index goes to *anchor) and returns the cred. */
static const sgw_cred_t *opt_begin(lua_State *L, int *anchor) {
  const sgw_cred_t *cred;

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2); /* slot 2: nil until something needs anchoring */
  *anchor = 2;
  lua_getfield(L, 1, "cred");
  cred = check_cred(L, -1);
  lua_pop(L, 1);
  return cred;
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
  int anchor, rc;

  cred = opt_begin(L, &anchor);
  req.secret_id = cred->secret_id;
  req.secret_key = cred->secret_key;
  req.method = opt_string(L, 1, "method", "get", NULL);
  req.path = opt_string(L, 1, "path", NULL, &req.path_len);
  if (req.path == NULL)
    return luaL_error(L, "'path' is required");
  opt_key_time(L, 1, &req.start, &req.end);
  cred_window(L, cred, &req.end);
  req.nheaders = opt_pairs(L, 1, "headers", anchor, headers);
  req.headers = headers;
  req.nparams = opt_pairs(L, 1, "params", anchor, params);
  req.params = params;

  sgw_buf_init(&out);
  if ((rc = sgw_cos_authorization(&req, &out)) < 0) {
    sgw_buf_free(&out);
    return luaL_error(L, "cannot sign: %s", sgw_strerror(rc));
  }
  lua_pushlstring(L, out.base, out.len);
  sgw_buf_free(&out);
  return 1;
}

/* Encodes each extra condition to JSON text, anchored in `anchor`. */
static size_t opt_conditions(lua_State *L, int t, int anchor,
                             const char **out) {
  size_t n = 0;
  char err[128];
  sgw_buf_t b;

  if (lua_getfield(L, t, "conditions") == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  luaL_argcheck(L, lua_istable(L, -1), 1, "'conditions' must be a list");
  sgw_buf_init(&b);
  for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
    if (n == SGW__MAX_CONDITIONS || !lua_istable(L, -1)) {
      sgw_buf_free(&b);
      luaL_error(L, "'conditions' must be a list of at most %d tables",
                 SGW__MAX_CONDITIONS);
    }
    sgw_buf_reset(&b);
    if (sgw_lua_json_encode(L, -1, &b, err, sizeof(err)) < 0) {
      sgw_buf_free(&b);
      luaL_error(L, "condition %d: %s", (int)i, err);
    }
    lua_pop(L, 1);
    lua_pushlstring(L, b.base, b.len);
    out[n++] = lua_tostring(L, -1);
    luaL_ref(L, opt_anchor(L, anchor));
  }
  lua_pop(L, 2);
  sgw_buf_free(&b);
  return n;
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
  int anchor, rc;

  cred = opt_begin(L, &anchor);
  p.secret_id = cred->secret_id;
  p.secret_key = cred->secret_key;
  p.security_token = cred->security_token;
  p.bucket = opt_string(L, 1, "bucket", NULL, NULL);
  p.key = opt_string(L, 1, "key", NULL, NULL);
  if (p.bucket == NULL || p.key == NULL)
    return luaL_error(L, "'bucket' and 'key' are required");
  opt_key_time(L, 1, &p.start, &p.end);
  cred_window(L, cred, &p.end);
  p.min_size = opt_integer(L, 1, "min_size", 0);
  p.max_size = opt_integer(L, 1, "max_size", 0);
  if (p.min_size < 0 || (p.max_size > 0 && p.max_size < p.min_size))
    return luaL_error(L, "'min_size'/'max_size' out of order");
  p.nextra_conditions = opt_conditions(L, 1, anchor, conds);
  p.extra_conditions = conds;

  rc = sgw_cos_post_policy(&p, &res);
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

int luaopen_gw_cos(lua_State *L) {
  static const luaL_Reg funcs[] = {{"host", l_host},
                                   {"authorization", l_authorization},
                                   {"post_policy", l_post_policy},
                                   {NULL, NULL}};

  cred_metatable(L);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
