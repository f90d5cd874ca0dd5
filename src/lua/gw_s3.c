/* gw.s3: AWS Signature Version 4 for S3 and S3-compatible stores (MinIO,
 * R2, COS's S3 endpoint) for scripts. A thin binding over src/sign/s3.c.
 *
 *   presign_url{cred, bucket, key, method, expires, headers, query,
 *               region, endpoint, path_style, service, date}
 *     -> url, headers (what the client must send with it)
 *   post_policy{cred, bucket, key, expires, conditions, fields, min_size,
 *               max_size, region, endpoint, path_style, date}
 *     -> {url, fields}
 *   authorization{cred, method, bucket, key, query, headers, body |
 *                 payload_hash, region, endpoint, path_style, service, date}
 *     -> {url, headers}  (for gw.http.request)
 *   endpoint(url) -> {https, host, port, path}, or nil, message
 *     (how an endpoint URL is read; for checking settings at load)
 *
 * Credentials are the opaque `gw.cred` userdata (ctx.s3_cred): a script
 * chooses what to sign, never sees what it is signed with. Each VM keeps
 * one signing-key cache and the last parsed endpoint in a userdata shared
 * by the functions as an upvalue; a VM runs on one thread, so nothing is
 * locked, and the cache's key material is wiped when the VM closes. */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <time.h>

#include "lua/gw_lua.h"
#include "signgw/error.h"
#include "signgw/s3.h"

#define SGW__S3_STATE "gw.s3.state"
#define SGW__S3_DEFAULT_EXPIRES 900
#define SGW__S3_DEFAULT_REGION "us-east-1"
#define SGW__S3_URL_MAX 512

typedef struct s3_state_s {
  sgw_s3_key_cache_t cache;
  sgw_buf_t url;        /* reused for every presigned URL */
  /* The endpoint of the last call, parsed: a generation signs for one
   * store, so this almost always hits. */
  char ep_url[SGW__S3_URL_MAX + 1]; /* "" with region: a default endpoint */
  char region[SGW_S3_NAME_MAX + 1];
  sgw_s3_endpoint_t ep;
  int have_ep;
} s3_state_t;

static s3_state_t *state(lua_State *L) {
  return lua_touserdata(L, lua_upvalueindex(1));
}

static int state_gc(lua_State *L) {
  s3_state_t *st = luaL_checkudata(L, 1, SGW__S3_STATE);
  sgw_s3_key_cache_wipe(&st->cache);
  sgw_buf_free(&st->url);
  return 0;
}

/* ---- options --------------------------------------------------------- */

/* Field `k` of the options table at 1: a string, or `def` when absent.
 * Without `len` the string is used as a C string, so it must hold no NUL
 * (which would cut it short). */
static const char *opt_string(lua_State *L, const char *k, const char *def,
                              size_t *len) {
  const char *s;
  size_t n;

  if (lua_getfield(L, 1, k) == LUA_TNIL) {
    lua_pop(L, 1);
    if (len)
      *len = def ? strlen(def) : 0;
    return def;
  }
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "'%s' must be a string", k);
  s = lua_tolstring(L, -1, &n);
  if (len)
    *len = n;
  else if (strlen(s) != n)
    luaL_error(L, "'%s' must not contain a NUL byte", k);
  lua_pop(L, 1); /* still referenced by the options table */
  return s;
}

static int64_t opt_integer(lua_State *L, const char *k, int64_t def) {
  lua_Integer v;
  int isnum;

  if (lua_getfield(L, 1, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum)
    luaL_error(L, "'%s' must be an integer", k);
  lua_pop(L, 1);
  return (int64_t)v;
}

/* The anchor table at `slot`, made on first use. */
static int opt_anchor(lua_State *L, int slot) {
  if (lua_isnil(L, slot)) {
    lua_newtable(L);
    lua_replace(L, slot);
  }
  return slot;
}

/* A name -> string|number table into kv; numbers are converted and the
 * strings anchored at `anchor`. */
static size_t opt_pairs(lua_State *L, const char *k, int anchor,
                        sgw_kv_t *kv) {
  size_t n = 0;

  if (lua_getfield(L, 1, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "'%s' must be a table", k);
  for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING ||
        (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      luaL_error(L, "'%s' must map strings to strings or numbers", k);
    if (n == SGW_S3_MAX_PAIRS)
      luaL_error(L, "more than %d entries in '%s'", SGW_S3_MAX_PAIRS, k);
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

/* The signer from the options: cred, region, endpoint, path_style,
 * service. Stack slot 2 is kept for the anchor of converted strings. */
static void opt_signer(lua_State *L, sgw_s3_signer_t *s, int *anchor) {
  s3_state_t *st = state(L);
  const sgw_cred_t *cred;
  const char *url;
  size_t url_len;
  int rc;

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  *anchor = 2;
  lua_getfield(L, 1, "cred");
  cred = sgw_lua_check_cred(L, -1);
  lua_pop(L, 1);
  memset(s, 0, sizeof(*s));
  s->access_key_id = cred->secret_id;
  s->secret_access_key = cred->secret_key;
  s->session_token = cred->security_token;
  s->region = opt_string(L, "region", SGW__S3_DEFAULT_REGION, NULL);
  s->service = opt_string(L, "service", NULL, NULL);
  url = opt_string(L, "endpoint", "", NULL);
  url_len = strlen(url);
  lua_getfield(L, 1, "path_style");
  s->force_path_style = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (url_len > SGW__S3_URL_MAX)
    luaL_error(L, "'endpoint' is too long");
  if (!st->have_ep || strcmp(st->ep_url, url) != 0 ||
      (url_len == 0 && strcmp(st->region, s->region) != 0)) {
    st->have_ep = 0;
    rc = url_len ? sgw_s3_endpoint_parse(url, &st->ep)
                 : sgw_s3_endpoint_default(s->region, &st->ep);
    if (rc < 0) {
      if (url_len)
        luaL_error(L, "'endpoint' must be an http:// or https:// URL "
                      "without user, query or fragment");
      luaL_error(L, "'region' cannot make an AWS endpoint: give 'endpoint'");
    }
    memcpy(st->ep_url, url, url_len + 1);
    snprintf(st->region, sizeof(st->region), "%s", s->region);
    st->have_ep = 1;
  }
  s->endpoint = &st->ep;
  s->cache = &st->cache;
}

static void set_string(lua_State *L, const char *k, const char *v, size_t n) {
  lua_pushlstring(L, v, n);
  lua_setfield(L, -2, k);
}

/* The message names what was refused, never the key. */
static int sign_error(lua_State *L, const char *what, int rc) {
  return luaL_error(L, "cannot sign the %s: %s (check bucket, key, method, "
                       "headers, query, region, expires, date)",
                    what, sgw_strerror(rc));
}

/* ---- functions -------------------------------------------------------- */

/* presign_url{...} -> url, headers
 * headers: the signed headers the client must send as they are (x-amz-*
 * ones travel in the URL instead). */
static int l_presign_url(lua_State *L) {
  sgw_kv_t headers[SGW_S3_MAX_PAIRS], query[SGW_S3_MAX_PAIRS];
  sgw_s3_presign_t p;
  sgw_s3_signer_t s;
  sgw_buf_t *url;
  int anchor, rc;

  opt_signer(L, &s, &anchor);
  memset(&p, 0, sizeof(p));
  p.method = opt_string(L, "method", "GET", NULL);
  p.bucket = opt_string(L, "bucket", NULL, NULL);
  p.key = opt_string(L, "key", NULL, &p.key_len);
  p.date = opt_integer(L, "date", (int64_t)time(NULL));
  p.expires = opt_integer(L, "expires", SGW__S3_DEFAULT_EXPIRES);
  p.nheaders = opt_pairs(L, "headers", anchor, headers);
  p.headers = headers;
  p.nquery = opt_pairs(L, "query", anchor, query);
  p.query = query;
  if (p.bucket == NULL)
    return luaL_error(L, "'bucket' is required");

  url = &state(L)->url;
  sgw_buf_reset(url);
  if ((rc = sgw_s3_presign(&s, &p, url)) < 0)
    return sign_error(L, "URL", rc);
  lua_pushlstring(L, url->base, url->len);
  lua_createtable(L, 0, (int)p.nheaders);
  for (size_t i = 0; i < p.nheaders; i++) {
    if (sgw_s3_header_hoisted(headers[i].name, headers[i].name_len))
      continue;
    lua_pushlstring(L, headers[i].name, headers[i].name_len);
    lua_pushlstring(L, headers[i].value, headers[i].value_len);
    lua_rawset(L, -3);
  }
  return 2;
}

/* The conditions list (tables) as JSON texts, anchored; a
 * content-length-range from min_size/max_size comes first. */
static size_t opt_conditions(lua_State *L, int anchor, const char **out,
                             size_t max) {
  int64_t min_size = opt_integer(L, "min_size", 0);
  int64_t max_size = opt_integer(L, "max_size", -1);
  size_t n = 0;
  char err[128];
  sgw_buf_t b;

  if (max_size >= 0) {
    if (min_size < 0 || max_size < min_size ||
        max_size > INT64_C(9007199254740991))
      luaL_error(L, "'min_size'/'max_size' must be 0 <= min <= max < 2^53");
    lua_pushfstring(L, "[\"content-length-range\",%I,%I]",
                    (lua_Integer)min_size, (lua_Integer)max_size);
    out[n++] = lua_tostring(L, -1);
    luaL_ref(L, opt_anchor(L, anchor));
  } else if (min_size != 0) {
    luaL_error(L, "'min_size' needs 'max_size'");
  }
  if (lua_getfield(L, 1, "conditions") == LUA_TNIL) {
    lua_pop(L, 1);
    return n;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "'conditions' must be a list");
  sgw_buf_init(&b);
  for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
    if (n == max || !lua_istable(L, -1)) {
      sgw_buf_free(&b);
      luaL_error(L, "'conditions' must be a list of at most %d tables",
                 (int)max - 1);
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

/* post_policy{...} -> {url, fields}: the shape createPresignedPost of
 * @aws-sdk/s3-presigned-post returns. A browser posts `fields` as they
 * are, then the file. */
static int l_post_policy(lua_State *L) {
  const char *conds[SGW_S3_MAX_PAIRS];
  sgw_kv_t fields[SGW_S3_MAX_PAIRS];
  sgw_s3_post_result_t res;
  sgw_s3_post_t p;
  sgw_s3_signer_t s;
  int anchor, rc;

  opt_signer(L, &s, &anchor);
  memset(&p, 0, sizeof(p));
  p.bucket = opt_string(L, "bucket", NULL, NULL);
  p.key = opt_string(L, "key", NULL, NULL);
  if (p.bucket == NULL || p.key == NULL)
    return luaL_error(L, "'bucket' and 'key' are required");
  p.date = opt_integer(L, "date", (int64_t)time(NULL));
  p.expires = opt_integer(L, "expires", SGW__S3_DEFAULT_EXPIRES);
  p.nfields = opt_pairs(L, "fields", anchor, fields);
  p.fields = fields;
  p.nconditions = opt_conditions(L, anchor, conds, SGW_S3_MAX_PAIRS);
  p.conditions = conds;

  if ((rc = sgw_s3_post_policy(&s, &p, &res)) < 0) {
    sgw_s3_post_result_free(&res);
    return sign_error(L, "POST policy", rc);
  }
  lua_createtable(L, 0, 2);
  set_string(L, "url", res.url.base, res.url.len);
  lua_createtable(L, 0, (int)p.nfields + 8);
  for (size_t i = 0; i < p.nfields; i++) {
    lua_pushlstring(L, fields[i].name, fields[i].name_len);
    lua_pushlstring(L, fields[i].value, fields[i].value_len);
    lua_rawset(L, -3);
  }
  set_string(L, "bucket", p.bucket, strlen(p.bucket));
  set_string(L, "X-Amz-Algorithm", SGW_S3_ALGORITHM,
             sizeof(SGW_S3_ALGORITHM) - 1);
  set_string(L, "X-Amz-Credential", res.credential, strlen(res.credential));
  set_string(L, "X-Amz-Date", res.amz_date, strlen(res.amz_date));
  if (s.session_token != NULL)
    set_string(L, "X-Amz-Security-Token", s.session_token,
               strlen(s.session_token));
  set_string(L, "key", p.key, strlen(p.key));
  set_string(L, "Policy", res.policy_b64.base, res.policy_b64.len);
  set_string(L, "X-Amz-Signature", res.signature, 64);
  lua_setfield(L, -2, "fields");
  sgw_s3_post_result_free(&res);
  return 1;
}

/* authorization{...} -> {url, headers}: a header-signed request for
 * gw.http.request; headers holds the caller's own headers and
 * Authorization, X-Amz-Content-Sha256, X-Amz-Date and (with a session
 * token) X-Amz-Security-Token. The body is signed by its SHA-256 unless
 * payload_hash ("UNSIGNED-PAYLOAD" or a hex SHA-256) is given. */
static int l_authorization(lua_State *L) {
  sgw_kv_t headers[SGW_S3_MAX_PAIRS], query[SGW_S3_MAX_PAIRS];
  sgw_s3_request_t r;
  sgw_s3_signed_t out;
  sgw_s3_signer_t s;
  int anchor, rc;

  opt_signer(L, &s, &anchor);
  memset(&r, 0, sizeof(r));
  r.method = opt_string(L, "method", "GET", NULL);
  r.bucket = opt_string(L, "bucket", NULL, NULL);
  r.key = opt_string(L, "key", NULL, &r.key_len);
  r.date = opt_integer(L, "date", (int64_t)time(NULL));
  r.payload = opt_string(L, "body", NULL, &r.payload_len);
  r.payload_hash = opt_string(L, "payload_hash", NULL, NULL);
  r.nheaders = opt_pairs(L, "headers", anchor, headers);
  r.headers = headers;
  r.nquery = opt_pairs(L, "query", anchor, query);
  r.query = query;

  if ((rc = sgw_s3_sign_request(&s, &r, &out)) < 0) {
    sgw_s3_signed_free(&out);
    return sign_error(L, "request", rc);
  }
  lua_createtable(L, 0, 2);
  set_string(L, "url", out.url.base, out.url.len);
  lua_createtable(L, 0, (int)r.nheaders + 4);
  for (size_t i = 0; i < r.nheaders; i++) {
    lua_pushlstring(L, headers[i].name, headers[i].name_len);
    lua_pushlstring(L, headers[i].value, headers[i].value_len);
    lua_rawset(L, -3);
  }
  set_string(L, "Authorization", out.authorization.base,
             out.authorization.len);
  set_string(L, "X-Amz-Content-Sha256", out.content_sha256,
             strlen(out.content_sha256));
  set_string(L, "X-Amz-Date", out.amz_date, strlen(out.amz_date));
  if (s.session_token != NULL)
    set_string(L, "X-Amz-Security-Token", s.session_token,
               strlen(s.session_token));
  lua_setfield(L, -2, "headers");
  sgw_s3_signed_free(&out);
  return 1;
}

/* endpoint(url) -> {https, host, port (nil: the default), path}, or
 * nil, message. */
static int l_endpoint(lua_State *L) {
  size_t len;
  const char *url = luaL_checklstring(L, 1, &len);
  sgw_s3_endpoint_t ep;

  if (strlen(url) != len || len > SGW__S3_URL_MAX ||
      sgw_s3_endpoint_parse(url, &ep) < 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "not an http:// or https:// URL of a host name or "
                       "IP address, an optional port and path, without "
                       "user, query, fragment or dot segments");
    return 2;
  }
  lua_createtable(L, 0, 4);
  lua_pushboolean(L, ep.https);
  lua_setfield(L, -2, "https");
  set_string(L, "host", ep.host, strlen(ep.host));
  if (ep.port != 0) {
    lua_pushinteger(L, ep.port);
    lua_setfield(L, -2, "port");
  }
  set_string(L, "path", ep.path, strlen(ep.path));
  return 1;
}

int luaopen_gw_s3(lua_State *L) {
  static const luaL_Reg funcs[] = {{"presign_url", l_presign_url},
                                   {"post_policy", l_post_policy},
                                   {"authorization", l_authorization},
                                   {"endpoint", l_endpoint},
                                   {NULL, NULL}};
  s3_state_t *st;

  lua_createtable(L, 0, sizeof(funcs) / sizeof(funcs[0]) - 1);
  st = lua_newuserdatauv(L, sizeof(*st), 0);
  memset(st, 0, sizeof(*st));
  sgw_s3_key_cache_init(&st->cache);
  sgw_buf_init(&st->url);
  if (luaL_newmetatable(L, SGW__S3_STATE)) {
    lua_pushcfunction(L, state_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
  luaL_setfuncs(L, funcs, 1);
  return 1;
}
