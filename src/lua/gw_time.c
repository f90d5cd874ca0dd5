/* gw.time: wall-clock time for scripts (UTC unless asked otherwise). */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <time.h>

#include "lua/gw_lua.h"

#define SGW__MAX_FORMAT 128

/* now(): seconds since the epoch with millisecond precision. */
static int l_now(lua_State *L) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec +
                        (lua_Number)(ts.tv_nsec / 1000000) / 1000.0);
  return 1;
}

static int l_unix(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)time(NULL));
  return 1;
}

static time_t check_time(lua_State *L, int idx) {
  return lua_isnoneornil(L, idx) ? time(NULL)
                                 : (time_t)luaL_checkinteger(L, idx);
}

/* format(fmt [, t [, utc]]): strftime; utc defaults to true. */
static int l_format(lua_State *L) {
  size_t flen;
  const char *fmt = luaL_checklstring(L, 1, &flen);
  time_t t = check_time(L, 2);
  int utc = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
  char out[256];
  struct tm tm;
  size_t n;

  luaL_argcheck(L, flen <= SGW__MAX_FORMAT, 1, "format too long");
  if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
    return luaL_argerror(L, 2, "time out of range");
  n = strftime(out, sizeof(out), fmt, &tm);
  if (n == 0 && flen > 0)
    return luaL_error(L, "formatted time too long");
  lua_pushlstring(L, out, n);
  return 1;
}

/* iso8601([t]): "2026-11-29T04:00:00Z" */
static int l_iso8601(lua_State *L) {
  time_t t = check_time(L, 1);
  char out[32];
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL)
    return luaL_argerror(L, 1, "time out of range");
  strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
  lua_pushstring(L, out);
  return 1;
}

int luaopen_gw_time(lua_State *L) {
  static const luaL_Reg funcs[] = {{"now", l_now},
                                   {"unix", l_unix},
                                   {"format", l_format},
                                   {"iso8601", l_iso8601},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
