/* gw.tc3: Tencent Cloud API 3.0 request signatures (TC3-HMAC-SHA256) for
 * scripts that call Tencent Cloud APIs (STS first). A thin binding over
 * src/sign/tc3.c.
 *
 * The key comes only from the opaque credential (ctx.cred): a script
 * chooses what to sign, never sees what it is signed with. */
#include <lauxlib.h>
#include <lua.h>
#include <time.h>

#include "lua/gw_lua.h"
#include "signgw/error.h"
#include "signgw/tc3.h"

/* Field `k` of the options table at 1: a string, or NULL when absent
 * (required fields raise). */
static const char *opt_string(lua_State *L, const char *k, int required,
                              size_t *len) {
  const char *s;

  lua_getfield(L, 1, k);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    if (required) luaL_error(L, "'%s' is required", k);
    if (len) *len = 0;
    return NULL;
  }
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "'%s' must be a string", k);
  s = lua_tolstring(L, -1, len);
  lua_pop(L, 1); /* still referenced by the options table */
  return s;
}

/* sign{cred=, service=, host=, action=, version=, region=, payload=,
 *      timestamp=, content_type=} -> {[header name] = value, ...}
 * The table holds every header to send: Authorization, Content-Type,
 * Host, X-TC-Action, X-TC-Timestamp, X-TC-Version, and X-TC-Region /
 * X-TC-Token when there is a region / the credential has a token.
 * timestamp defaults to now; content_type to
 * "application/json; charset=utf-8". */
static int l_sign(lua_State *L) {
  sgw_tc3_request_t req = {0};
  sgw_tc3_result_t res;
  const sgw_cred_t *cred;
  int isnum, rc;

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "cred");
  cred = sgw_lua_check_cred(L, -1);
  lua_pop(L, 1);
  req.secret_id = cred->secret_id;
  req.secret_key = cred->secret_key;
  req.security_token = cred->security_token;
  req.service = opt_string(L, "service", 1, NULL);
  req.host = opt_string(L, "host", 1, NULL);
  req.action = opt_string(L, "action", 1, NULL);
  req.version = opt_string(L, "version", 1, NULL);
  req.region = opt_string(L, "region", 0, NULL);
  req.content_type = opt_string(L, "content_type", 0, NULL);
  req.payload = opt_string(L, "payload", 1, &req.payload_len);

  lua_getfield(L, 1, "timestamp");
  if (lua_isnil(L, -1)) {
    req.timestamp = (int64_t)time(NULL);
  } else {
    req.timestamp = (int64_t)lua_tointegerx(L, -1, &isnum);
    if (!isnum) return luaL_error(L, "'timestamp' must be an integer");
  }
  lua_pop(L, 1);

  /* The message names what was refused, never the key. */
  if ((rc = sgw_tc3_sign(&req, &res)) < 0)
    return luaL_error(L, "cannot sign the request: %s (check service, "
                         "host, action, version, region, content_type, "
                         "timestamp)", sgw_strerror(rc));
  lua_createtable(L, 0, (int)res.nheaders);
  for (size_t i = 0; i < res.nheaders; i++) {
    lua_pushstring(L, res.headers[i].value);
    lua_setfield(L, -2, res.headers[i].name);
  }
  return 1;
}

int luaopen_gw_tc3(lua_State *L) {
  static const luaL_Reg funcs[] = {{"sign", l_sign}, {NULL, NULL}};

  luaL_newlib(L, funcs);
  return 1;
}
