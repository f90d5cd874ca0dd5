#include "lua/gw_opts.h"

#include <lauxlib.h>
#include <string.h>

#include "lua/gw_lua.h"

void sgw__opt_begin(lua_State *L, int slots) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_checkstack(L, slots, "options");
}

const char *sgw__opt_string(lua_State *L, int t, const char *k,
                            const char *def, size_t *len) {
  lua_getfield(L, t, k); /* room made by sgw__opt_begin */
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    if (len)
      *len = def ? strlen(def) : 0;
    return def;
  }
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "'%s' must be a string", k);
  return lua_tolstring(L, -1, len); /* stays on the stack */
}

const char *sgw__opt_cstring(lua_State *L, int t, const char *k,
                             const char *def) {
  size_t n;
  const char *s = sgw__opt_string(L, t, k, def, &n);

  if (s != NULL && strlen(s) != n)
    luaL_error(L, "'%s' must not contain a NUL byte", k);
  return s;
}

lua_Integer sgw__opt_integer(lua_State *L, int t, const char *k,
                             lua_Integer def) {
  int isnum;
  lua_Integer v;

  if (lua_getfield(L, t, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum)
    luaL_error(L, "'%s' must be an integer", k);
  lua_pop(L, 1);
  return v;
}

size_t sgw__opt_pairs(lua_State *L, int t, const char *k, sgw_kv_t *kv,
                      size_t max) {
  size_t n = 0;
  int tab;

  luaL_checkstack(L, 3, "options");
  if (lua_getfield(L, t, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "'%s' must be a table", k);
  tab = lua_gettop(L);
  for (lua_pushnil(L); lua_next(L, tab); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING ||
        (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      luaL_error(L, "'%s' must map strings to strings or numbers", k);
    if (n == max)
      luaL_error(L, "more than %d entries in '%s'", (int)max, k);
    luaL_checkstack(L, 4, "options");
    /* Copies of the name and the value (lua_tolstring converts a number
     * in the copy only: lua_next needs the key as it was), then moved
     * below the key and value, where they stay. */
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    kv[n].name = lua_tolstring(L, -2, &kv[n].name_len);
    kv[n].value = lua_tolstring(L, -1, &kv[n].value_len);
    lua_rotate(L, -4, 2); /* key value name value -> name value key value */
    n++;
  }
  return n;
}

size_t sgw__opt_conditions(lua_State *L, int t, const char **out, size_t n,
                           size_t max) {
  size_t first = n;
  char err[128];
  sgw_buf_t b;
  int list;

  luaL_checkstack(L, (int)(max - n) + 3, "options");
  if (lua_getfield(L, t, "conditions") == LUA_TNIL) {
    lua_pop(L, 1);
    return n;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "'conditions' must be a list");
  list = lua_gettop(L);
  sgw_buf_init(&b);
  for (lua_Integer i = 1; lua_rawgeti(L, list, i) != LUA_TNIL; i++) {
    if (n == max || !lua_istable(L, -1)) {
      sgw_buf_free(&b);
      luaL_error(L, "'conditions' must be a list of at most %d tables",
                 (int)(max - first));
    }
    sgw_buf_reset(&b);
    if (sgw_lua_json_encode(L, -1, &b, err, sizeof(err)) < 0) {
      sgw_buf_free(&b);
      luaL_error(L, "condition %d: %s", (int)i, err);
    }
    lua_pop(L, 1);
    lua_pushlstring(L, b.base, b.len); /* stays on the stack */
    out[n++] = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  sgw_buf_free(&b);
  return n;
}
