/* gw.jwt: JSON Web Token verification for scripts.
 *
 *   local ks = jwt.keys{ secret_env = "SGW_JWT_SECRET" }
 *   -- or secret_file = PATH, secret_file_env = "NAME" (a variable naming
 *   -- the file), pem = TEXT, pem_file = PATH, jwks = JSON
 *   local claims, header = jwt.verify(token, { keys = ks, algs = {"HS256"},
 *     iss = "...", aud = "..." or {...}, leeway = 30, now = t,
 *     require_exp = true })
 *   -- on refusal: nil, reason, message (reason names in signgw/jwt.h)
 *   local v = jwt.verifier{ algs = {"HS256"}, iss = ..., aud = ...,
 *     leeway = 30, require_exp = true }   -- the options, checked once
 *   local claims, header = v:verify(token, ks)  -- as verify()
 *
 * A shared secret is read here in C from the environment or a file and
 * never becomes a Lua value, so no script can put it into a response or a
 * log line. Misuse (a wrong argument, an unknown option or alg) raises an
 * error; a key that cannot be loaded returns nil, message. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "lua/gw_lua.h"
#include "signgw/error.h"
#include "signgw/jwt.h"

#define SGW__KEYSET_MT "gw.jwt.keyset"
/* gw_json.c's registry name for arrays: claims come out exactly as
 * gw.json.decode would give them. */
#define SGW__JSON_ARRAY_MT "gw.json.array"
#define SGW__MAX_SECRET_FILE (64 * 1024)
#define SGW__MAX_PEM_FILE (1024 * 1024)
#define SGW__MAX_AUD 32

typedef struct l_keyset_s {
  sgw_jwt_keyset_t *ks; /* NULL once collected */
} l_keyset_t;

/* ---- keys{} ------------------------------------------------------------- */

/* Reads a whole small file into *out (caller frees, and wipes if secret).
 * The message names the file, never its contents. */
static int read_file(const char *path, size_t max, char **out, size_t *len,
                     char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n;

  *out = NULL;
  if (f == NULL) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return SGW_EIO;
  }
  buf = malloc(max + 1);
  if (buf == NULL) {
    fclose(f);
    snprintf(err, errlen, "out of memory");
    return SGW_ENOMEM;
  }
  n = fread(buf, 1, max + 1, f);
  fclose(f);
  if (n > max) {
    OPENSSL_cleanse(buf, n);
    free(buf);
    snprintf(err, errlen, "%s is too large", path);
    return SGW_ERANGE;
  }
  *out = buf;
  *len = n;
  return SGW_OK;
}

static int keys_secret(sgw_jwt_keyset_t *ks, const char *env,
                       const char *file, char *err, size_t errlen) {
  char *buf = NULL;
  size_t len = 0;
  int rc;

  if (env != NULL) {
    const char *v = getenv(env);
    /* The variable's bytes as they are: no trimming, no base64. */
    if (v == NULL || *v == '\0') {
      snprintf(err, errlen, "environment variable %s is not set", env);
      return SGW_ENOENT;
    }
    rc = sgw_jwt_keyset_add_secret(ks, v, strlen(v));
  } else {
    rc = read_file(file, SGW__MAX_SECRET_FILE, &buf, &len, err, errlen);
    if (rc < 0)
      return rc;
    /* Like COS_SECRET_KEY_FILE: an editor's final newline is not part of
     * the secret. */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
      len--;
    rc = len == 0 ? SGW_EINVAL : sgw_jwt_keyset_add_secret(ks, buf, len);
    if (rc == SGW_EINVAL)
      snprintf(err, errlen, "%s holds no secret", file);
    OPENSSL_cleanse(buf, len);
    free(buf);
  }
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  return rc;
}

static int keys_pem_file(sgw_jwt_keyset_t *ks, const char *file, char *err,
                         size_t errlen) {
  char *buf = NULL, why[160];
  size_t len = 0;
  int rc = read_file(file, SGW__MAX_PEM_FILE, &buf, &len, err, errlen);

  if (rc < 0)
    return rc;
  why[0] = '\0';
  rc = sgw_jwt_keyset_add_pem(ks, buf, len, why, sizeof(why));
  if (rc < 0)
    snprintf(err, errlen, "%s: %s", file, why);
  free(buf);
  return rc;
}

/* The fields keys{} knows; any other is a typo worth an error. */
static const char *const keys_fields[] = {
    "secret_env", "secret_file", "secret_file_env", "pem", "pem_file", "jwks",
    NULL};

static const char *opt_string(lua_State *L, int t, const char *name,
                              size_t *len) {
  const char *s = NULL;

  if (lua_getfield(L, t, name) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "gw.jwt: %s must be a string", name);
    s = lua_tolstring(L, -1, len);
  }
  lua_pop(L, 1); /* still referenced by the table at t */
  return s;
}

static void check_fields(lua_State *L, int t, const char *const *known,
                         const char *fn) {
  for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
    int ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (int i = 0; known[i] != NULL && !ok; i++)
        ok = strcmp(lua_tostring(L, -2), known[i]) == 0;
    if (!ok) {
      lua_pushvalue(L, -2);
      luaL_error(L, "%s: unknown option '%s'", fn,
                 luaL_tolstring(L, -1, NULL));
    }
  }
}

/* keys{...} -> keyset, or nil, message. */
static int l_keys(lua_State *L) {
  const char *senv, *sfile, *sfenv, *pem, *pfile, *jwks;
  size_t pem_len = 0, jwks_len = 0;
  char err[256], why[200];
  l_keyset_t *u;
  int rc = SGW_OK;

  luaL_checktype(L, 1, LUA_TTABLE);
  check_fields(L, 1, keys_fields, "gw.jwt.keys");
  senv = opt_string(L, 1, "secret_env", NULL);
  sfile = opt_string(L, 1, "secret_file", NULL);
  sfenv = opt_string(L, 1, "secret_file_env", NULL);
  pem = opt_string(L, 1, "pem", &pem_len);
  pfile = opt_string(L, 1, "pem_file", NULL);
  jwks = opt_string(L, 1, "jwks", &jwks_len);
  if ((senv != NULL) + (sfile != NULL) + (sfenv != NULL) > 1)
    return luaL_error(L, "gw.jwt.keys: secret_env, secret_file or "
                         "secret_file_env, not both");
  if (sfenv != NULL) {
    /* The file's name comes from the environment too (SGW_JWT_SECRET_FILE,
     * which gw.env refuses like the secret itself). */
    sfile = getenv(sfenv);
    if (sfile == NULL || *sfile == '\0') {
      lua_pushnil(L);
      lua_pushfstring(L, "gw.jwt.keys: environment variable %s is not set",
                      sfenv);
      return 2;
    }
  }
  if (!senv && !sfile && !pem && !pfile && !jwks)
    return luaL_error(L, "gw.jwt.keys: give secret_env, secret_file, "
                         "secret_file_env, pem, pem_file or jwks");

  /* The userdata exists before any key, so __gc frees whatever is built
   * even if a Lua error interrupts. */
  u = lua_newuserdatauv(L, sizeof(*u), 0);
  u->ks = NULL;
  luaL_setmetatable(L, SGW__KEYSET_MT);
  if (sgw_jwt_keyset_new(&u->ks) < 0)
    return luaL_error(L, "gw.jwt.keys: out of memory");

  err[0] = why[0] = '\0';
  if (senv != NULL || sfile != NULL)
    rc = keys_secret(u->ks, senv, sfile, err, sizeof(err));
  if (rc == SGW_OK && pem != NULL) {
    rc = sgw_jwt_keyset_add_pem(u->ks, pem, pem_len, why, sizeof(why));
    if (rc < 0)
      snprintf(err, sizeof(err), "pem: %s", why);
  }
  if (rc == SGW_OK && pfile != NULL)
    rc = keys_pem_file(u->ks, pfile, err, sizeof(err));
  if (rc == SGW_OK && jwks != NULL) {
    rc = sgw_jwt_keyset_add_jwks(u->ks, jwks, jwks_len, why, sizeof(why));
    if (rc < 0)
      snprintf(err, sizeof(err), "jwks: %s", why);
  }
  if (rc < 0) {
    sgw_jwt_keyset_free(u->ks);
    u->ks = NULL;
    lua_pushnil(L);
    lua_pushfstring(L, "gw.jwt.keys: %s",
                    err[0] ? err : sgw_strerror(rc));
    return 2;
  }
  return 1;
}

static int ks_gc(lua_State *L) {
  l_keyset_t *u = luaL_checkudata(L, 1, SGW__KEYSET_MT);

  sgw_jwt_keyset_free(u->ks);
  u->ks = NULL;
  return 0;
}

/* Says how many keys, never what they are. */
static int ks_tostring(lua_State *L) {
  l_keyset_t *u = luaL_checkudata(L, 1, SGW__KEYSET_MT);

  lua_pushfstring(L, "gw.jwt.keyset (%d keys)",
                  u->ks ? (int)sgw_jwt_keyset_count(u->ks) : 0);
  return 1;
}

static int ks_len(lua_State *L) {
  l_keyset_t *u = luaL_checkudata(L, 1, SGW__KEYSET_MT);

  lua_pushinteger(L, u->ks ? (lua_Integer)sgw_jwt_keyset_count(u->ks) : 0);
  return 1;
}

/* ---- verify ------------------------------------------------------------- */

/* The same Lua values gw.json.decode makes: null is gw.json.null (a NULL
 * light userdata), arrays carry the gw.json.array metatable. The core
 * refuses JSON deeper than SGW_JWT_MAX_DEPTH, so this recursion is
 * bounded. */
static void push_json(lua_State *L, const cJSON *j) {
  luaL_checkstack(L, 4, "gw.jwt: claims nested too deeply");
  if (cJSON_IsNull(j)) {
    lua_pushlightuserdata(L, NULL);
  } else if (cJSON_IsBool(j)) {
    lua_pushboolean(L, cJSON_IsTrue(j));
  } else if (cJSON_IsNumber(j)) {
    double d = j->valuedouble;
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
      lua_pushinteger(L, (lua_Integer)d);
    else
      lua_pushnumber(L, d);
  } else if (cJSON_IsString(j)) {
    lua_pushstring(L, j->valuestring);
  } else if (cJSON_IsArray(j)) {
    lua_Integer i = 1;
    lua_newtable(L);
    luaL_setmetatable(L, SGW__JSON_ARRAY_MT);
    for (const cJSON *c = j->child; c != NULL; c = c->next) {
      push_json(L, c);
      lua_rawseti(L, -2, i++);
    }
  } else if (cJSON_IsObject(j)) {
    lua_newtable(L);
    for (const cJSON *c = j->child; c != NULL; c = c->next) {
      push_json(L, c);
      lua_setfield(L, -2, c->string);
    }
  } else {
    lua_pushnil(L);
  }
}

static int push_result(lua_State *L) {
  const sgw_jwt_result_t *res = lua_touserdata(L, 1);

  push_json(L, res->claims);
  push_json(L, res->header);
  return 2;
}

static const char *const verify_fields[] = {
    "keys", "algs", "iss", "aud", "leeway", "now", "require_exp", NULL};

static unsigned verify_algs(lua_State *L, int t) {
  unsigned algs = 0;
  lua_Integer n;

  if (lua_getfield(L, t, "algs") != LUA_TTABLE)
    luaL_error(L, "gw.jwt.verify: algs must be a list of algorithm names");
  n = luaL_len(L, -1);
  if (n < 1)
    luaL_error(L, "gw.jwt.verify: algs is empty");
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len;
    const char *name;
    int a;
    if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
      luaL_error(L, "gw.jwt.verify: algs[%d] is not a string", (int)i);
    name = lua_tolstring(L, -1, &len);
    a = sgw_jwt_alg_parse(name, len);
    if (a < 0)
      luaL_error(L, "gw.jwt.verify: alg '%s' is not supported%s", name,
                 strcmp(name, "none") == 0 ? " (and never will be)" : "");
    algs |= SGW_JWT_ALG_BIT(a);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return algs;
}

/* aud: a string or a list of strings. The pointers stay valid while the
 * options table (argument 2) holds the strings. */
static size_t verify_aud(lua_State *L, int t, const char **aud) {
  size_t n = 0;
  int type = lua_getfield(L, t, "aud");

  if (type == LUA_TSTRING) {
    aud[n++] = lua_tostring(L, -1);
  } else if (type == LUA_TTABLE) {
    lua_Integer len = luaL_len(L, -1);
    if (len < 1 || len > SGW__MAX_AUD)
      luaL_error(L, "gw.jwt.verify: aud must list 1 to %d audiences",
                 SGW__MAX_AUD);
    for (lua_Integer i = 1; i <= len; i++) {
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
        luaL_error(L, "gw.jwt.verify: aud[%d] is not a string", (int)i);
      aud[n++] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  } else if (type != LUA_TNIL) {
    luaL_error(L, "gw.jwt.verify: aud must be a string or a list");
  }
  lua_pop(L, 1);
  return n;
}

static int64_t verify_int(lua_State *L, int t, const char *name,
                          int64_t dflt) {
  int64_t v = dflt;
  int isint = 0;

  if (lua_getfield(L, t, name) != LUA_TNIL) {
    v = (int64_t)lua_tointegerx(L, -1, &isint);
    if (!isint || v < 0)
      luaL_error(L, "gw.jwt.verify: %s must be a non-negative integer",
                 name);
  }
  lua_pop(L, 1);
  return v;
}

/* Verifies `token` (NULL: none was given) with the key set and pushes
 * what verify() answers: claims, header | nil, reason, message. The
 * caller's stack holds the token and anything else `o` points into. */
static int verify_push(lua_State *L, const sgw_jwt_keyset_t *ks,
                       const char *token, size_t len,
                       const sgw_jwt_opts_t *o) {
  sgw_jwt_result_t res;
  int rc;

  if (token == NULL) {
    lua_pushnil(L);
    lua_pushstring(L, sgw_jwt_reason_name(SGW_JWT_MALFORMED));
    lua_pushliteral(L, "no token");
    return 3;
  }
  rc = sgw_jwt_verify(ks, token, len, o, &res);
  if (rc < 0) {
    lua_pushnil(L);
    lua_pushstring(L, sgw_jwt_reason_name(res.reason));
    lua_pushstring(L, res.msg);
    sgw_jwt_result_free(&res);
    return 3;
  }
  /* The VM's allocator may refuse memory mid-conversion; a Lua error then
   * must not skip freeing the trees, so convert in a protected call (on
   * an emptied stack: nothing on it is needed any more). */
  lua_settop(L, 0);
  lua_pushcfunction(L, push_result);
  lua_pushlightuserdata(L, &res);
  rc = lua_pcall(L, 1, 2, 0);
  sgw_jwt_result_free(&res);
  if (rc != LUA_OK)
    return lua_error(L);
  return 2;
}

/* verify(token, opts) -> claims, header | nil, reason, message */
static int l_verify(lua_State *L) {
  const char *aud[SGW__MAX_AUD], *token;
  size_t len = 0;
  sgw_jwt_opts_t o;
  l_keyset_t *u;

  if (lua_isnoneornil(L, 1)) {
    token = NULL;
  } else {
    token = luaL_checklstring(L, 1, &len);
  }
  luaL_checktype(L, 2, LUA_TTABLE);
  check_fields(L, 2, verify_fields, "gw.jwt.verify");
  memset(&o, 0, sizeof(o));
  lua_getfield(L, 2, "keys");
  u = luaL_testudata(L, -1, SGW__KEYSET_MT);
  if (u == NULL)
    return luaL_error(L, "gw.jwt.verify: keys must come from gw.jwt.keys{}");
  if (u->ks == NULL)
    return luaL_error(L, "gw.jwt.verify: this key set was released");
  /* keys stays on the stack: the set cannot be collected mid-call. */
  o.algs = verify_algs(L, 2);
  o.iss = opt_string(L, 2, "iss", NULL);
  o.naud = verify_aud(L, 2, aud);
  o.aud = aud;
  o.leeway = verify_int(L, 2, "leeway", 0);
  o.now = verify_int(L, 2, "now", (int64_t)time(NULL));
  if (lua_getfield(L, 2, "require_exp") != LUA_TNIL &&
      !lua_isboolean(L, -1))
    return luaL_error(L, "gw.jwt.verify: require_exp must be a boolean");
  o.require_exp = lua_toboolean(L, -1);
  lua_pop(L, 1);

  return verify_push(L, u->ks, token, len, &o);
}

/* ---- verifier: the options of verify(), read once -------------------- */

#define SGW__VERIFIER_MT "gw.jwt.verifier"

typedef struct l_verifier_s {
  sgw_jwt_opts_t o;        /* iss and aud point into the strings below */
  char *iss;               /* owned */
  char *aud[SGW__MAX_AUD]; /* owned */
  const char *audp[SGW__MAX_AUD];
} l_verifier_t;

static const char *const verifier_fields[] = {
    "algs", "iss", "aud", "leeway", "require_exp", NULL};

static int vf_gc(lua_State *L) {
  l_verifier_t *v = luaL_checkudata(L, 1, SGW__VERIFIER_MT);

  free(v->iss);
  v->iss = NULL;
  for (size_t i = 0; i < SGW__MAX_AUD; i++) {
    free(v->aud[i]);
    v->aud[i] = NULL;
  }
  v->o.naud = 0;
  return 0;
}

/* verifier{algs, iss, aud, leeway, require_exp} -> verifier. A policy
 * that checks every request with the same options reads them once here
 * instead of on each call. */
static int l_verifier(lua_State *L) {
  const char *aud[SGW__MAX_AUD], *iss;
  l_verifier_t *v;
  size_t naud;

  luaL_checktype(L, 1, LUA_TTABLE);
  check_fields(L, 1, verifier_fields, "gw.jwt.verifier");
  v = lua_newuserdatauv(L, sizeof(*v), 0);
  memset(v, 0, sizeof(*v));
  luaL_setmetatable(L, SGW__VERIFIER_MT);
  v->o.algs = verify_algs(L, 1);
  iss = opt_string(L, 1, "iss", NULL);
  naud = verify_aud(L, 1, aud);
  v->o.leeway = verify_int(L, 1, "leeway", 0);
  if (lua_getfield(L, 1, "require_exp") != LUA_TNIL && !lua_isboolean(L, -1))
    return luaL_error(L, "gw.jwt.verifier: require_exp must be a boolean");
  v->o.require_exp = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (iss != NULL && (v->iss = strdup(iss)) == NULL)
    return luaL_error(L, "gw.jwt.verifier: out of memory");
  for (size_t i = 0; i < naud; i++) {
    if ((v->aud[i] = strdup(aud[i])) == NULL)
      return luaL_error(L, "gw.jwt.verifier: out of memory");
    v->audp[i] = v->aud[i];
  }
  v->o.iss = v->iss;
  v->o.aud = naud ? v->audp : NULL;
  v->o.naud = naud;
  return 1;
}

/* v:verify(token, keys [, now]) -> claims, header | nil, reason, message */
static int vf_verify(lua_State *L) {
  l_verifier_t *v = luaL_checkudata(L, 1, SGW__VERIFIER_MT);
  l_keyset_t *u = luaL_testudata(L, 3, SGW__KEYSET_MT);
  sgw_jwt_opts_t o = v->o;
  const char *token;
  size_t len = 0;

  token = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &len);
  if (u == NULL)
    return luaL_error(L, "gw.jwt.verifier: keys must come from gw.jwt.keys{}");
  if (u->ks == NULL)
    return luaL_error(L, "gw.jwt.verifier: this key set was released");
  o.now = lua_isnoneornil(L, 4) ? (int64_t)time(NULL)
                                : (int64_t)luaL_checkinteger(L, 4);
  return verify_push(L, u->ks, token, len, &o);
}

int luaopen_gw_jwt(lua_State *L) {
  static const luaL_Reg funcs[] = {{"keys", l_keys},
                                   {"verify", l_verify},
                                   {"verifier", l_verifier},
                                   {NULL, NULL}};
  static const luaL_Reg vf_meta[] = {{"__gc", vf_gc}, {NULL, NULL}};
  static const luaL_Reg vf_methods[] = {{"verify", vf_verify}, {NULL, NULL}};
  static const luaL_Reg ks_meta[] = {{"__gc", ks_gc},
                                     {"__tostring", ks_tostring},
                                     {"__len", ks_len},
                                     {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__KEYSET_MT)) {
    luaL_setfuncs(L, ks_meta, 0);
    lua_pushliteral(L, "gw.jwt.keyset");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, SGW__VERIFIER_MT)) {
    luaL_setfuncs(L, vf_meta, 0);
    luaL_newlib(L, vf_methods);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "gw.jwt.verifier");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newmetatable(L, SGW__JSON_ARRAY_MT); /* shared with gw.json */
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
