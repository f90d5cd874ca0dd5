#include "runtime/obs_settings.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/settings.h"
#include "signgw/error.h"

void sgw_obs_settings_default(sgw_obs_settings_t *s) {
  memset(s, 0, sizeof(*s));
  s->metrics = 1;
  sgw_cidr_parse("127.0.0.0/8", &s->allow[0]);
  sgw_cidr_parse("::1/128", &s->allow[1]);
  s->nallow = 2;
  strcpy(s->access_log, "off");
}

/* metrics = false | { allow = { ... } } (the table on top). */
static int read_metrics(lua_State *L, sgw_obs_settings_t *s, char *err,
                        size_t errlen) {
  int t = lua_type(L, -1), n;

  if (t == LUA_TNIL)
    return 0;
  if (t == LUA_TBOOLEAN) {
    s->metrics = lua_toboolean(L, -1);
    return 0;
  }
  if (t != LUA_TTABLE) {
    snprintf(err, errlen, "config: metrics must be a table "
             "{ allow = { \"CIDR\", ... } } or false");
    return SGW_EINVAL;
  }
  t = sgw_settings_field(L, -1, "allow");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != LUA_TTABLE) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: metrics.allow must be a list of CIDR "
             "blocks such as \"10.0.0.0/8\"");
    return SGW_EINVAL;
  }
  n = (int)lua_rawlen(L, -1);
  if (n > SGW_OBS_MAX_ALLOW) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: metrics.allow holds at most %d blocks",
             SGW_OBS_MAX_ALLOW);
    return SGW_EINVAL;
  }
  s->nallow = 0;
  for (int i = 1; i <= n; i++) {
    const char *text = lua_rawgeti(L, -1, i) == LUA_TSTRING
                           ? lua_tostring(L, -1)
                           : NULL;
    if (text == NULL || sgw_cidr_parse(text, &s->allow[s->nallow]) < 0) {
      snprintf(err, errlen, "config: metrics.allow[%d] must be an address "
               "or CIDR block such as \"10.0.0.0/8\" or \"::1\"", i);
      lua_pop(L, 2);
      return SGW_EINVAL;
    }
    s->nallow++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

static int read_access_log(lua_State *L, sgw_obs_settings_t *s, char *err,
                           size_t errlen) {
  size_t len;
  const char *v;

  if (lua_isnil(L, -1))
    return 0;
  if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
    strcpy(s->access_log, "off");
    return 0;
  }
  v = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
  if (v == NULL || len == 0 || len >= sizeof(s->access_log) ||
      strlen(v) != len) {
    snprintf(err, errlen, "config: access_log must be \"-\" (stdout), "
             "\"off\" or a file path (under %d bytes)", SGW_OBS_MAX_PATH);
    return SGW_EINVAL;
  }
  memcpy(s->access_log, v, len + 1);
  return 0;
}

static int read_health(lua_State *L, sgw_obs_settings_t *s, char *err,
                       size_t errlen) {
  int isnum, t;
  lua_Integer v;

  if (lua_isnil(L, -1))
    return 0;
  if (!lua_istable(L, -1)) {
    snprintf(err, errlen, "config: health must be a table "
             "{ drain_delay_ms = N }");
    return SGW_EINVAL;
  }
  t = sgw_settings_field(L, -1, "drain_delay_ms");
  v = lua_tointegerx(L, -1, &isnum);
  /* A number, not a string that looks like one. */
  if (t != LUA_TNIL && (t != LUA_TNUMBER || !isnum || v < 0 || v > 3600000)) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: health.drain_delay_ms must be an "
             "integer from 0 to 3600000");
    return SGW_EINVAL;
  }
  if (t == LUA_TNUMBER)
    s->drain_delay_ms = (unsigned)v;
  lua_pop(L, 1);
  return 0;
}

int sgw_obs_settings_read(lua_State *L, int cfg, sgw_obs_settings_t *s,
                          char *err, size_t errlen) {
  int rc;

  sgw_obs_settings_default(s);
  /* Through sgw_settings_field: a "strict" config table that raises for
   * absent keys means they are absent. */
  cfg = lua_absindex(L, cfg);
  sgw_settings_field(L, cfg, "metrics");
  rc = read_metrics(L, s, err, errlen);
  lua_pop(L, 1);
  if (rc == 0) {
    sgw_settings_field(L, cfg, "access_log");
    rc = read_access_log(L, s, err, errlen);
    lua_pop(L, 1);
  }
  if (rc == 0) {
    sgw_settings_field(L, cfg, "health");
    rc = read_health(L, s, err, errlen);
    lua_pop(L, 1);
  }
  return rc;
}
