/* gw.metrics: counters, gauges and histograms of the scripts' own, served
 * with the built-in ones on GET /metrics.
 *
 *   local metrics = require "gw.metrics"
 *   -- at load time (a module's top level):
 *   local signed = metrics.counter("uploads_signed_total", "Signatures.",
 *                                  { "route", "ext" })
 *   local lat = metrics.histogram("policy_check_seconds", "Auth time.",
 *                                 nil, { 0.001, 0.01, 0.1 })
 *   -- in a handler:
 *   signed:inc(1, { "put", ext })
 *   lat:observe(seconds)
 *
 * Metrics are the process's: they survive reloads, and defining one again
 * (the next generation, another worker) with the same type, labels and
 * buckets gives the same metric; anything else is an error at load time.
 * Defining is refused inside a request (a name per request would grow
 * without end). Updates take no lock (see src/runtime/metrics.h). Names
 * starting with signgw_ are the gateway's own. With metrics off
 * (SGW_METRICS=off) everything here works and records nothing. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>

#include "lua/gw_lua.h"
#include "runtime/metrics.h"
#include "runtime/observe.h"
#include "runtime/task.h"

#define SGW__METRIC_MT "gw.metric"

typedef struct lua_metric_s {
  sgw_metric_t *f;           /* NULL when metrics are off */
  sgw_metric_type_t type;
  unsigned nlabels;
} lua_metric_t;

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* Reads a list of strings (label names) at idx into names[]. */
static unsigned check_names(lua_State *L, int idx, const char **names) {
  lua_Integer n;

  if (lua_isnoneornil(L, idx))
    return 0;
  luaL_checktype(L, idx, LUA_TTABLE);
  n = luaL_len(L, idx);
  luaL_argcheck(L, n <= SGW_METRICS_MAX_LABELS, idx, "too many labels");
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, idx, i) != LUA_TSTRING)
      luaL_argerror(L, idx, "label names must be strings");
    names[i - 1] = lua_tostring(L, -1);
    lua_pop(L, 1); /* still referenced by the table */
  }
  return (unsigned)n;
}

static int define(lua_State *L, sgw_metric_type_t type) {
  const char *name = luaL_checkstring(L, 1);
  const char *help = luaL_optstring(L, 2, "");
  const char *labels[SGW_METRICS_MAX_LABELS];
  double buckets[SGW_METRICS_MAX_BUCKETS];
  unsigned nlabels, nbuckets = 0;
  sgw_metrics_t *m = sgw_obs_metrics();
  lua_metric_t *lm;
  char err[256];

  if (sgw_task_of(L) != NULL)
    return luaL_error(L, "gw.metrics.%s: define metrics at load time (at "
                         "the top of a module), not in a request",
                      type_names[type]);
  if (strncmp(name, "signgw_", 7) == 0)
    return luaL_error(L, "gw.metrics: names starting with signgw_ are the "
                         "gateway's own ('%s')", name);
  nlabels = check_names(L, 3, labels);
  if (type == SGW_METRIC_HISTOGRAM && !lua_isnoneornil(L, 4)) {
    lua_Integer n;
    luaL_checktype(L, 4, LUA_TTABLE);
    n = luaL_len(L, 4);
    luaL_argcheck(L, n >= 1 && n <= SGW_METRICS_MAX_BUCKETS, 4,
                  "1 to 32 bucket bounds");
    for (lua_Integer i = 1; i <= n; i++) {
      int isnum;
      lua_geti(L, 4, i);
      buckets[i - 1] = lua_tonumberx(L, -1, &isnum);
      lua_pop(L, 1);
      if (!isnum)
        luaL_argerror(L, 4, "bucket bounds must be numbers");
    }
    nbuckets = (unsigned)n;
  }
  lm = lua_newuserdatauv(L, sizeof(*lm), 0);
  lm->f = NULL;
  lm->type = type;
  lm->nlabels = nlabels;
  luaL_setmetatable(L, SGW__METRIC_MT);
  if (m != NULL &&
      (lm->f = sgw_metrics_define(m, type, name, help, labels, nlabels,
                                  nbuckets ? buckets : NULL, nbuckets, err,
                                  sizeof(err))) == NULL)
    return luaL_error(L, "gw.metrics: %s", err);
  return 1;
}

static int m_counter(lua_State *L) { return define(L, SGW_METRIC_COUNTER); }
static int m_gauge(lua_State *L) { return define(L, SGW_METRIC_GAUGE); }
static int m_histogram(lua_State *L) {
  return define(L, SGW_METRIC_HISTOGRAM);
}

/* The series for the label values at idx (a list, or nil without
 * labels); NULL when metrics are off or the series is refused. */
static sgw_series_t *check_series(lua_State *L, lua_metric_t *lm, int idx) {
  const char *v[SGW_METRICS_MAX_LABELS];
  size_t len[SGW_METRICS_MAX_LABELS];
  int top = lua_gettop(L);
  sgw_series_t *s;

  if (lm->nlabels == 0) {
    luaL_argcheck(L, lua_isnoneornil(L, idx), idx,
                  "this metric has no labels");
  } else {
    luaL_argcheck(L, lua_istable(L, idx) && luaL_len(L, idx) == lm->nlabels,
                  idx, "a list of one value per label");
    for (unsigned i = 0; i < lm->nlabels; i++) {
      int t = lua_geti(L, idx, (lua_Integer)i + 1);
      if (t != LUA_TSTRING && t != LUA_TNUMBER)
        luaL_argerror(L, idx, "label values must be strings or numbers");
      v[i] = lua_tolstring(L, -1, &len[i]); /* kept on the stack */
    }
  }
  s = lm->f ? sgw_metrics_series(lm->f, v, len) : NULL;
  lua_settop(L, top);
  return s;
}

static double check_value(lua_State *L, int idx, double dflt) {
  double v = luaL_optnumber(L, idx, dflt);

  luaL_argcheck(L, isfinite(v), idx, "must be a finite number");
  return v;
}

static lua_metric_t *check_metric(lua_State *L, sgw_metric_type_t a,
                                  sgw_metric_type_t b, const char *what) {
  lua_metric_t *lm = luaL_checkudata(L, 1, SGW__METRIC_MT);

  if (lm->type != a && lm->type != b)
    luaL_error(L, "%s is not for a %s", what, type_names[lm->type]);
  return lm;
}

/* counter:inc(v = 1, labels) / gauge:inc(v = 1, labels) */
static int metric_inc(lua_State *L) {
  lua_metric_t *lm = check_metric(L, SGW_METRIC_COUNTER, SGW_METRIC_GAUGE,
                                  "inc");
  double v = check_value(L, 2, 1);

  luaL_argcheck(L, lm->type == SGW_METRIC_GAUGE || v >= 0, 2,
                "a counter only goes up");
  sgw_metrics_add(check_series(L, lm, 3), v);
  return 0;
}

/* gauge:dec(v = 1, labels) */
static int metric_dec(lua_State *L) {
  lua_metric_t *lm = check_metric(L, SGW_METRIC_GAUGE, SGW_METRIC_GAUGE,
                                  "dec");
  double v = check_value(L, 2, 1);

  sgw_metrics_add(check_series(L, lm, 3), -v);
  return 0;
}

/* gauge:set(v, labels) */
static int metric_set(lua_State *L) {
  lua_metric_t *lm = check_metric(L, SGW_METRIC_GAUGE, SGW_METRIC_GAUGE,
                                  "set");
  double v;

  luaL_checknumber(L, 2);
  v = check_value(L, 2, 0);
  sgw_metrics_set(check_series(L, lm, 3), v);
  return 0;
}

/* histogram:observe(v, labels) */
static int metric_observe(lua_State *L) {
  lua_metric_t *lm = check_metric(L, SGW_METRIC_HISTOGRAM,
                                  SGW_METRIC_HISTOGRAM, "observe");
  double v;

  luaL_checknumber(L, 2);
  v = check_value(L, 2, 0);
  sgw_metrics_observe(check_series(L, lm, 3), v);
  return 0;
}

static int metric_tostring(lua_State *L) {
  lua_metric_t *lm = luaL_checkudata(L, 1, SGW__METRIC_MT);

  lua_pushfstring(L, "gw.metric %s (%s)",
                  lm->f ? sgw_metrics_name(lm->f) : "(metrics off)",
                  type_names[lm->type]);
  return 1;
}

int luaopen_gw_metrics(lua_State *L) {
  static const luaL_Reg funcs[] = {{"counter", m_counter},
                                   {"gauge", m_gauge},
                                   {"histogram", m_histogram},
                                   {NULL, NULL}};
  static const luaL_Reg methods[] = {{"inc", metric_inc},
                                     {"dec", metric_dec},
                                     {"set", metric_set},
                                     {"observe", metric_observe},
                                     {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__METRIC_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, metric_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "gw.metric");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  lua_pushboolean(L, sgw_obs_metrics() != NULL);
  lua_setfield(L, -2, "enabled");
  return 1;
}
