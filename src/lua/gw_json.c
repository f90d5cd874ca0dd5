/* gw.json: JSON for scripts and for handler bodies.
 *
 * Encoding walks the Lua value straight into a buffer (no intermediate
 * tree): it is on every request's path. Decoding uses the strict parser
 * of signgw/json.h, which keeps every string's length: "a\u0000b" is
 * three bytes in Lua, as it is in JavaScript (cJSON's NUL-terminated
 * strings cannot say that, and would cut it to "a").
 *
 * Lua has one table type, so: a table whose keys are exactly 1..n is an
 * array; any other table is an object; an empty table is an object unless
 * made with gw.json.array(). gw.json.null stands for null. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/gw_lua.h"
#include "signgw/error.h"
#include "signgw/json.h"

#define SGW__JSON_DEPTH 32
#define SGW__ARRAY_MT "gw.json.array"

typedef struct enc_s {
  lua_State *L;
  sgw_buf_t *out;
  char *err;
  size_t errlen;
} enc_t;

static int enc_value(enc_t *e, int idx, int depth);

static int enc_fail(enc_t *e, const char *msg) {
  snprintf(e->err, e->errlen, "json: %s", msg);
  return SGW_EINVAL;
}

static int enc_number(enc_t *e, int idx) {
  lua_State *L = e->L;
  lua_Number d;

  if (lua_isinteger(L, idx))
    return sgw_buf_append_int(e->out, (long long)lua_tointeger(L, idx));
  d = lua_tonumber(L, idx);
  if (!isfinite(d))
    return enc_fail(e, "cannot encode NaN or infinity");
  return sgw_buf_appendf(e->out, "%.17g", d);
}

/* 0: not an array; otherwise the length n of a table with keys 1..n. */
static lua_Integer enc_array_len(lua_State *L, int idx) {
  lua_Integer n = 0, max = 0;

  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    lua_Integer k;
    if (!lua_isinteger(L, -2) || (k = lua_tointeger(L, -2)) < 1) {
      lua_pop(L, 2);
      return 0;
    }
    if (k > max)
      max = k;
    n++;
  }
  return max == n ? n : 0;
}

static int enc_is_marked_array(lua_State *L, int idx) {
  int r = 0;

  if (lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, SGW__ARRAY_MT);
    r = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  return r;
}

static int enc_array(enc_t *e, int idx, lua_Integer n, int depth) {
  int rc = sgw_buf_appendc(e->out, '[');

  for (lua_Integer i = 1; rc == 0 && i <= n; i++) {
    if (i > 1)
      rc = sgw_buf_appendc(e->out, ',');
    lua_rawgeti(e->L, idx, i);
    if (rc == 0)
      rc = enc_value(e, lua_gettop(e->L), depth + 1);
    lua_pop(e->L, 1);
  }
  return rc ? rc : sgw_buf_appendc(e->out, ']');
}

static int enc_object(enc_t *e, int idx, int depth) {
  lua_State *L = e->L;
  int rc = sgw_buf_appendc(e->out, '{'), first = 1;

  for (lua_pushnil(L); rc == 0 && lua_next(L, idx); lua_pop(L, 1)) {
    size_t klen;
    const char *k;
    if (lua_type(L, -2) == LUA_TNUMBER) {
      lua_pushvalue(L, -2); /* convert a copy: lua_next needs the key */
      k = lua_tolstring(L, -1, &klen);
      rc = first ? 0 : sgw_buf_appendc(e->out, ',');
      if (rc == 0)
        rc = sgw_json_string(e->out, k, klen);
      lua_pop(L, 1);
    } else if (lua_type(L, -2) == LUA_TSTRING) {
      k = lua_tolstring(L, -2, &klen);
      rc = first ? 0 : sgw_buf_appendc(e->out, ',');
      if (rc == 0 && sgw_json_string(e->out, k, klen) < 0)
        rc = enc_fail(e, "object key is not valid UTF-8");
    } else {
      rc = enc_fail(e, "object keys must be strings");
    }
    first = 0;
    if (rc == 0)
      rc = sgw_buf_appendc(e->out, ':');
    if (rc == 0)
      rc = enc_value(e, lua_gettop(L), depth + 1);
  } /* on error the caller resets the stack */
  return rc ? rc : sgw_buf_appendc(e->out, '}');
}

static int enc_table(enc_t *e, int idx, int depth) {
  lua_Integer n;

  if (depth >= SGW__JSON_DEPTH)
    return enc_fail(e, "nested too deeply (cycle?)");
  if (!lua_checkstack(e->L, 8))
    return enc_fail(e, "out of Lua stack");
  n = enc_array_len(e->L, idx);
  if (n > 0 || enc_is_marked_array(e->L, idx))
    return enc_array(e, idx, n, depth);
  return enc_object(e, idx, depth);
}

static int enc_value(enc_t *e, int idx, int depth) {
  lua_State *L = e->L;
  size_t len;
  const char *s;

  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    return sgw_buf_appends(e->out, "null");
  case LUA_TBOOLEAN:
    return sgw_buf_appends(e->out, lua_toboolean(L, idx) ? "true" : "false");
  case LUA_TNUMBER:
    return enc_number(e, idx);
  case LUA_TSTRING:
    s = lua_tolstring(L, idx, &len);
    return sgw_json_string(e->out, s, len) < 0
               ? enc_fail(e, "string is not valid UTF-8")
               : 0;
  case LUA_TTABLE:
    return enc_table(e, idx, depth);
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL)
      return sgw_buf_appends(e->out, "null");
    /* fallthrough */
  default:
    return enc_fail(e, lua_pushfstring(L, "cannot encode a %s",
                                       luaL_typename(L, idx)));
  }
}

int sgw_lua_json_encode(lua_State *L, int idx, sgw_buf_t *out, char *err,
                        size_t errlen) {
  enc_t e = {L, out, err, errlen};
  int top = lua_gettop(L);
  int rc = enc_value(&e, lua_absindex(L, idx), 0);

  lua_settop(L, top);
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "json: out of memory");
  return rc;
}

static int l_encode(lua_State *L) {
  char err[160];
  sgw_buf_t b;

  luaL_checkany(L, 1);
  sgw_buf_init(&b);
  if (sgw_lua_json_encode(L, 1, &b, err, sizeof(err)) < 0) {
    sgw_buf_free(&b);
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  lua_pushlstring(L, b.base, b.len);
  sgw_buf_free(&b);
  return 1;
}

/* ---- decoding -------------------------------------------------------- */

/* Pushes the value; the depth was bounded by the parser. */
static void dec_push(lua_State *L, const sgw_json_t *j) {
  switch (j->type) {
  case SGW_JSON_NULL:
    lua_pushlightuserdata(L, NULL);
    break;
  case SGW_JSON_FALSE:
  case SGW_JSON_TRUE:
    lua_pushboolean(L, j->type == SGW_JSON_TRUE);
    break;
  case SGW_JSON_NUMBER:
    /* Integers written as such stay exact; a whole double below 2^53
     * (1.0, 1e3) becomes an integer too. */
    if (j->is_integer)
      lua_pushinteger(L, (lua_Integer)j->integer);
    else if (j->number == floor(j->number) &&
             fabs(j->number) < 9007199254740992.0)
      lua_pushinteger(L, (lua_Integer)j->number);
    else
      lua_pushnumber(L, j->number);
    break;
  case SGW_JSON_STRING:
    lua_pushlstring(L, j->str, j->len);
    break;
  case SGW_JSON_ARRAY:
  case SGW_JSON_OBJECT: {
    int arr = j->type == SGW_JSON_ARRAY;
    lua_Integer i = 1;
    luaL_checkstack(L, 3, "json: nested too deeply");
    lua_createtable(L, arr ? (int)(j->count < 1024 ? j->count : 1024) : 0,
                    arr ? 0 : (int)(j->count < 1024 ? j->count : 1024));
    if (arr)
      luaL_setmetatable(L, SGW__ARRAY_MT);
    for (const sgw_json_t *c = j->child; c != NULL; c = c->next) {
      if (arr) {
        dec_push(L, c);
        lua_rawseti(L, -2, i++);
      } else {
        /* Raw, with the length: a name may hold NUL bytes too. The last
         * of duplicate names wins, as in JSON.parse. */
        lua_pushlstring(L, c->name, c->name_len);
        dec_push(L, c);
        lua_rawset(L, -3);
      }
    }
    break;
  }
  }
}

/* Runs in protected mode (decode's Lua stack and allocations may fail);
 * the document is freed by the caller either way. */
static int dec_protected(lua_State *L) {
  dec_push(L, lua_touserdata(L, 1));
  return 1;
}

/* decode(s) -> value, or nil, message. */
static int l_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  sgw_json_doc_t doc;
  int rc = sgw_json_parse(&doc, s, len, SGW__JSON_DEPTH);

  if (rc == SGW_OK) {
    lua_pushcfunction(L, dec_protected);
    lua_pushlightuserdata(L, doc.root);
    rc = lua_pcall(L, 1, 1, 0);
    sgw_json_doc_free(&doc);
    if (rc != LUA_OK)
      return lua_error(L); /* out of memory: not the text's fault */
    return 1;
  }
  sgw_json_doc_free(&doc);
  lua_pushnil(L);
  if (rc == SGW_ENOMEM)
    lua_pushliteral(L, "json: out of memory");
  else
    lua_pushliteral(L, "invalid JSON");
  return 2;
}

/* array(t): marks t so it encodes as a JSON array even when empty. */
static int l_array(lua_State *L) {
  if (lua_isnoneornil(L, 1))
    lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, SGW__ARRAY_MT);
  return 1;
}

int luaopen_gw_json(lua_State *L) {
  static const luaL_Reg funcs[] = {{"encode", l_encode},
                                   {"decode", l_decode},
                                   {"array", l_array},
                                   {NULL, NULL}};
  luaL_newmetatable(L, SGW__ARRAY_MT);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  return 1;
}
