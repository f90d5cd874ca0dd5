/* gw.s3: AWS Signature Version 4 for S3 and S3-compatible stores (MinIO,
 * R2, COS's S3 endpoint) for scripts. A thin binding over src/sign/s3*.c.
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
#include "lua/gw_opts.h"
#include "signgw/error.h"
#include "signgw/s3.h"

#define SGW__S3_STATE "gw.s3.state"
#define SGW__S3_DEFAULT_EXPIRES 900
#define SGW__S3_DEFAULT_REGION "us-east-1"
#define SGW__S3_URL_MAX 512
#define SGW__S3_OPT_SLOTS 16 /* more than the options any function reads */

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

/* ---- options (see gw_opts.h) -------------------------------------- */

/* The signer from the options: cred, region, endpoint, path_style,
 * service. Makes room for every option string a function reads. */
static void opt_signer(lua_State *L, sgw_s3_signer_t *s) {
  s3_state_t *st = state(L);
  const sgw_cred_t *cred;
  const char *url;
  size_t url_len;
  int rc;

  sgw__opt_begin(L, SGW__S3_OPT_SLOTS);
  lua_getfield(L, 1, "cred"); /* stays on the stack */
  cred = sgw_lua_check_cred(L, -1);
  memset(s, 0, sizeof(*s));
  s->access_key_id = cred->secret_id;
  s->secret_access_key = cred->secret_key;
  s->session_token = cred->security_token;
  s->region = sgw__opt_cstring(L, 1, "region", SGW__S3_DEFAULT_REGION);
  s->service = sgw__opt_cstring(L, 1, "service", NULL);
  url = sgw__opt_cstring(L, 1, "endpoint", "");
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

/* Each name = value of kv in the table on top of the stack. */
static void set_pairs(lua_State *L, const sgw_kv_t *kv, size_t n) {
  for (size_t i = 0; i < n; i++) {
    lua_pushlstring(L, kv[i].name, kv[i].name_len);
    lua_pushlstring(L, kv[i].value, kv[i].value_len);
    lua_rawset(L, -3);
  }
}

/* X-Amz-Security-Token in the table on top, with a session token. */
static void set_token(lua_State *L, const sgw_s3_signer_t *s) {
  if (s->session_token != NULL)
    set_string(L, "X-Amz-Security-Token", s->session_token,
               strlen(s->session_token));
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
  int rc;

  opt_signer(L, &s);
  memset(&p, 0, sizeof(p));
  p.method = sgw__opt_cstring(L, 1, "method", "GET");
  p.bucket = sgw__opt_cstring(L, 1, "bucket", NULL);
  p.key = sgw__opt_string(L, 1, "key", NULL, &p.key_len);
  p.date = sgw__opt_integer(L, 1, "date", (int64_t)time(NULL));
  p.expires = sgw__opt_integer(L, 1, "expires", SGW__S3_DEFAULT_EXPIRES);
  p.nheaders = sgw__opt_pairs(L, 1, "headers", headers, SGW_S3_MAX_PAIRS);
  p.headers = headers;
  p.nquery = sgw__opt_pairs(L, 1, "query", query, SGW_S3_MAX_PAIRS);
  p.query = query;
  if (p.bucket == NULL)
    return luaL_error(L, "'bucket' is required");

  url = &state(L)->url;
  sgw_buf_reset(url);
  luaL_checkstack(L, 4, "gw.s3: results"); /* above the option strings */
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

/* The conditions list (tables) as JSON texts, left on the stack; a
 * content-length-range from min_size/max_size comes first. */
static size_t opt_conditions(lua_State *L, const char **out, size_t max) {
  int64_t min_size = sgw__opt_integer(L, 1, "min_size", 0);
  int64_t max_size = sgw__opt_integer(L, 1, "max_size", -1);
  size_t n = 0;

  if (max_size >= 0) {
    if (min_size < 0 || max_size < min_size ||
        max_size > INT64_C(9007199254740991))
      luaL_error(L, "'min_size'/'max_size' must be 0 <= min <= max < 2^53");
    luaL_checkstack(L, 1, "options");
    lua_pushfstring(L, "[\"content-length-range\",%I,%I]",
                    (lua_Integer)min_size, (lua_Integer)max_size);
    out[n++] = lua_tostring(L, -1); /* stays on the stack */
  } else if (min_size != 0) {
    luaL_error(L, "'min_size' needs 'max_size'");
  }
  return sgw__opt_conditions(L, 1, out, n, max);
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
  int rc;

  opt_signer(L, &s);
  memset(&p, 0, sizeof(p));
  p.bucket = sgw__opt_cstring(L, 1, "bucket", NULL);
  p.key = sgw__opt_cstring(L, 1, "key", NULL);
  if (p.bucket == NULL || p.key == NULL)
    return luaL_error(L, "'bucket' and 'key' are required");
  p.date = sgw__opt_integer(L, 1, "date", (int64_t)time(NULL));
  p.expires = sgw__opt_integer(L, 1, "expires", SGW__S3_DEFAULT_EXPIRES);
  p.nfields = sgw__opt_pairs(L, 1, "fields", fields, SGW_S3_MAX_PAIRS);
  p.fields = fields;
  p.nconditions = opt_conditions(L, conds, SGW_S3_MAX_PAIRS);
  p.conditions = conds;

  if ((rc = sgw_s3_post_policy(&s, &p, &res)) < 0) {
    sgw_s3_post_result_free(&res);
    return sign_error(L, "POST policy", rc);
  }
  luaL_checkstack(L, 4, "gw.s3: results");
  lua_createtable(L, 0, 2);
  set_string(L, "url", res.url.base, res.url.len);
  lua_createtable(L, 0, (int)p.nfields + 8);
  set_pairs(L, fields, p.nfields);
  set_string(L, "bucket", p.bucket, strlen(p.bucket));
  set_string(L, "X-Amz-Algorithm", SGW_S3_ALGORITHM,
             sizeof(SGW_S3_ALGORITHM) - 1);
  set_string(L, "X-Amz-Credential", res.credential, strlen(res.credential));
  set_string(L, "X-Amz-Date", res.amz_date, strlen(res.amz_date));
  set_token(L, &s);
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
  int rc;

  opt_signer(L, &s);
  memset(&r, 0, sizeof(r));
  r.method = sgw__opt_cstring(L, 1, "method", "GET");
  r.bucket = sgw__opt_cstring(L, 1, "bucket", NULL);
  r.key = sgw__opt_string(L, 1, "key", NULL, &r.key_len);
  r.date = sgw__opt_integer(L, 1, "date", (int64_t)time(NULL));
  r.payload = sgw__opt_string(L, 1, "body", NULL, &r.payload_len);
  r.payload_hash = sgw__opt_cstring(L, 1, "payload_hash", NULL);
  r.nheaders = sgw__opt_pairs(L, 1, "headers", headers, SGW_S3_MAX_PAIRS);
  r.headers = headers;
  r.nquery = sgw__opt_pairs(L, 1, "query", query, SGW_S3_MAX_PAIRS);
  r.query = query;

  if ((rc = sgw_s3_sign_request(&s, &r, &out)) < 0) {
    sgw_s3_signed_free(&out);
    return sign_error(L, "request", rc);
  }
  luaL_checkstack(L, 4, "gw.s3: results");
  lua_createtable(L, 0, 2);
  set_string(L, "url", out.url.base, out.url.len);
  lua_createtable(L, 0, (int)r.nheaders + 4);
  set_pairs(L, headers, r.nheaders);
  set_string(L, "Authorization", out.authorization.base,
             out.authorization.len);
  set_string(L, "X-Amz-Content-Sha256", out.content_sha256,
             strlen(out.content_sha256));
  set_string(L, "X-Amz-Date", out.amz_date, strlen(out.amz_date));
  set_token(L, &s);
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
