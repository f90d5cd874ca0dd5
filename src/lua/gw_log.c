/* gw.log: script log lines, tagged with the request they belong to. */
#include <lauxlib.h>
#include <lua.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/task.h"
#include "server/http.h"

static int log_at(lua_State *L, sgw_log_level_t level) {
  sgw_task_t *t = sgw_task_of(L);
  int n = lua_gettop(L);
  luaL_Buffer b;

  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  if (t != NULL && t->req != NULL)
    sgw_log(level, "request %s: %s", sgw_http_req_id(t->req),
            lua_tostring(L, -1));
  else
    sgw_log(level, "script: %s", lua_tostring(L, -1));
  return 0;
}

static int l_info(lua_State *L) { return log_at(L, SGW_LOG_INFO); }
static int l_warn(lua_State *L) { return log_at(L, SGW_LOG_WARN); }
static int l_error(lua_State *L) { return log_at(L, SGW_LOG_ERROR); }

int luaopen_gw_log(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"info", l_info}, {"warn", l_warn}, {"error", l_error}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
