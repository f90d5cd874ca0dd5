/* gw.sts: the part of Tencent Cloud STS that must not be Lua. Building
 * and sending the request is a short Lua module (lua/policy/sts.lua, on
 * gw.tc3 and gw.http); what comes back holds a secret key, so it is
 * turned into an opaque credential here and never becomes a Lua string
 * unless a route hands it out on purpose (the /sts route for the SDKs).
 *
 *   local cred, info = sts.credential(body)
 *     cred: a gw.cred usable with gw.cos (cred.secret_id, .security_token,
 *           .expires, .temporary)
 *     info: { tmp_secret_id, expired_time, expiration, request_id }
 *   or nil, message, code   (code: STS's error code, or "bad_response")
 *
 *   sts.secret_key(cred) -> the temporary key of a credential STS issued
 *                           (an error for any other credential) */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "lua/gw_lua.h"
#include "runtime/cred.h"
#include "signgw/error.h"
#include "signgw/json.h"

#define SGW__STS_MAX_BODY (64 * 1024)
#define SGW__STS_DEPTH 8

/* A string member, or NULL. */
static const sgw_json_t *str_of(const sgw_json_t *obj, const char *name) {
  const sgw_json_t *v = sgw_json_get(obj, name);
  return v != NULL && v->type == SGW_JSON_STRING ? v : NULL;
}

static int bad(lua_State *L, const char *msg) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushliteral(L, "bad_response");
  return 3;
}

/* {"Response":{"Error":{"Code","Message"},"RequestId"}}: STS's own words
 * (codes and messages hold no secrets), bounded. */
static int sts_error(lua_State *L, const sgw_json_t *err) {
  const sgw_json_t *code = str_of(err, "Code"), *msg = str_of(err, "Message");

  lua_pushnil(L);
  lua_pushfstring(L, "STS error %s: %s", code ? code->str : "(no code)",
                  msg ? msg->str : "(no message)");
  if (lua_rawlen(L, -1) > 512) {
    lua_pushlstring(L, lua_tostring(L, -1), 512);
    lua_replace(L, -2);
  }
  if (code != NULL)
    lua_pushlstring(L, code->str, code->len < 128 ? code->len : 128);
  else
    lua_pushliteral(L, "sts_error");
  return 3;
}

static int push_credential(lua_State *L, const sgw_json_t *resp) {
  const sgw_json_t *c = sgw_json_get(resp, "Credentials");
  const sgw_json_t *id = str_of(c, "TmpSecretId"), *key = str_of(c, "TmpSecretKey");
  const sgw_json_t *token = str_of(c, "Token");
  const sgw_json_t *exp = sgw_json_get(resp, "ExpiredTime");
  const sgw_json_t *expiration = str_of(resp, "Expiration");
  const sgw_json_t *rid = str_of(resp, "RequestId");
  sgw_cred_t *cred;
  int rc;

  if (id == NULL || key == NULL || token == NULL || exp == NULL ||
      exp->type != SGW_JSON_NUMBER || !exp->is_integer || exp->integer <= 0)
    return bad(L, "STS answer without Credentials and ExpiredTime");
  rc = sgw_cred_temporary(id->str, id->len, key->str, key->len, token->str,
                          token->len, (int64_t)exp->integer, &cred);
  if (rc == SGW_ENOMEM)
    return luaL_error(L, "gw.sts: out of memory");
  if (rc < 0)
    return bad(L, "STS answer with an unusable credential");
  sgw_lua_push_cred(L, cred);
  sgw_cred_unref(cred); /* the userdata holds it now */
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, id->str, id->len);
  lua_setfield(L, -2, "tmp_secret_id");
  lua_pushinteger(L, (lua_Integer)exp->integer);
  lua_setfield(L, -2, "expired_time");
  if (expiration != NULL) {
    lua_pushlstring(L, expiration->str, expiration->len);
    lua_setfield(L, -2, "expiration");
  }
  if (rid != NULL) {
    lua_pushlstring(L, rid->str, rid->len);
    lua_setfield(L, -2, "request_id");
  }
  return 2;
}

static int doc_gc(lua_State *L) {
  sgw_json_doc_free(lua_touserdata(L, 1));
  return 0;
}

static int l_credential(lua_State *L) {
  size_t len;
  const char *body = luaL_checklstring(L, 1, &len);
  sgw_json_doc_t *doc;
  const sgw_json_t *resp, *err;
  int rc;

  if (len > SGW__STS_MAX_BODY)
    return bad(L, "STS answer too large");
  /* The parsed document lives in a userdata, so a Lua error while its
   * values are pushed (out of memory) cannot leak it. */
  lua_settop(L, 1);
  doc = lua_newuserdatauv(L, sizeof(*doc), 0);
  memset(doc, 0, sizeof(*doc));
  if (luaL_newmetatable(L, "gw.sts.doc")) {
    lua_pushcfunction(L, doc_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  rc = sgw_json_parse(doc, body, len, SGW__STS_DEPTH);
  if (rc == SGW_ENOMEM)
    return luaL_error(L, "gw.sts: out of memory");
  resp = rc == 0 ? sgw_json_get(doc->root, "Response") : NULL;
  if (resp == NULL || resp->type != SGW_JSON_OBJECT)
    return bad(L, "STS answer is not {\"Response\":{...}} JSON");
  if ((err = sgw_json_get(resp, "Error")) != NULL)
    return sts_error(L, err);
  return push_credential(L, resp);
}

static int l_secret_key(lua_State *L) {
  const sgw_cred_t *c = sgw_lua_check_cred(L, 1);

  if (!c->temporary)
    return luaL_error(L, "gw.sts.secret_key: only a temporary credential "
                         "from STS can be handed out");
  lua_pushstring(L, c->secret_key);
  return 1;
}

int luaopen_gw_sts(lua_State *L) {
  static const luaL_Reg funcs[] = {{"credential", l_credential},
                                   {"secret_key", l_secret_key},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
