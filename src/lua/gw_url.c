/* gw.url: cam-safe encoding (the one COS signs with), decoding and query
 * strings. */
#include <lauxlib.h>
#include <lua.h>

#include "lua/gw_lua.h"
#include "signgw/url.h"

static int push_buf(lua_State *L, sgw_buf_t *b) {
  lua_pushlstring(L, b->base ? b->base : "", b->len);
  sgw_buf_free(b);
  return 1;
}

static int l_encode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  sgw_buf_t b;

  sgw_buf_init(&b);
  if (sgw_url_encode(&b, s, len) < 0) {
    sgw_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  return push_buf(L, &b);
}

/* decode(s [, plus_as_space]) -> string, or nil, message */
static int l_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  sgw_buf_t b;

  sgw_buf_init(&b);
  if (sgw_url_decode(&b, s, len, lua_toboolean(L, 2)) < 0) {
    sgw_buf_free(&b);
    lua_pushnil(L);
    lua_pushliteral(L, "invalid percent-encoding");
    return 2;
  }
  return push_buf(L, &b);
}

/* query(s) -> table of name -> value (first occurrence wins); pairs that
 * are not validly encoded are skipped. */
static int l_query(lua_State *L) {
  size_t len, klen, vlen;
  const char *s = luaL_checklstring(L, 1, &len), *k, *v;
  sgw_query_iter_t it;
  sgw_buf_t kb, vb;
  int has_value;

  lua_newtable(L);
  sgw_buf_init(&kb);
  sgw_buf_init(&vb);
  sgw_query_init(&it, s, len);
  while (sgw_query_next(&it, &k, &klen, &v, &vlen, &has_value)) {
    sgw_buf_reset(&kb);
    sgw_buf_reset(&vb);
    if (sgw_url_decode(&kb, k, klen, 1) < 0 ||
        sgw_url_decode(&vb, v, vlen, 1) < 0)
      continue;
    lua_pushlstring(L, kb.base ? kb.base : "", kb.len);
    if (lua_rawget(L, -2) != LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_pop(L, 1);
    lua_pushlstring(L, kb.base ? kb.base : "", kb.len);
    lua_pushlstring(L, vb.base ? vb.base : "", vb.len);
    lua_rawset(L, -3);
  }
  sgw_buf_free(&kb);
  sgw_buf_free(&vb);
  return 1;
}

int luaopen_gw_url(lua_State *L) {
  static const luaL_Reg funcs[] = {{"encode", l_encode},
                                   {"decode", l_decode},
                                   {"query", l_query},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
