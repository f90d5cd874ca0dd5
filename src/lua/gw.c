/* The `gw` module: waiting, environment and identity of this worker. The
 * fields config, worker_id and generation are set by the VM builder. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "lua/gw_lua.h"
#include "runtime/status.h"
#include "runtime/task.h"

#define SGW__MAX_SLEEP_MS (3600 * 1000)

/* gw.sleep(ms): a wait on a timer. The request's coroutine yields; the
 * worker goes on serving others and resumes it when the timer fires. */
typedef struct sleep_wait_s {
  sgw_wait_t wait;
  uv_timer_t timer;
} sleep_wait_t;

static void on_sleep_closed(uv_handle_t *h) { free(h->data); }

static void sleep_close(sleep_wait_t *s) {
  uv_close((uv_handle_t *)&s->timer, on_sleep_closed);
}

static void on_sleep_done(uv_timer_t *timer) {
  sleep_wait_t *s = timer->data;
  sgw_task_t *t = sgw_wait_end(&s->wait);

  sleep_close(s);
  sgw_task_resume(t, 0);
}

static void sleep_cancel(sgw_wait_t *w) {
  sleep_wait_t *s = (sleep_wait_t *)w;

  uv_timer_stop(&s->timer);
  sleep_close(s);
}

static int gw_sleep(lua_State *L) {
  lua_Integer ms = luaL_checkinteger(L, 1);
  sgw_task_t *t;
  sleep_wait_t *s;

  luaL_argcheck(L, ms >= 0 && ms <= SGW__MAX_SLEEP_MS, 1,
                "must be 0 to 3600000 milliseconds");
  t = sgw_task_check_wait(L, "gw.sleep");
  if ((s = malloc(sizeof(*s))) == NULL)
    return luaL_error(L, "gw.sleep: out of memory");
  uv_timer_init(sgw_task_loop(t), &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, on_sleep_done, (uint64_t)ms, 0);
  return sgw_task_yield(L, &s->wait, sleep_cancel);
}

/* The credential variables are refused: the key reaches signing code
 * only through ctx.cred, a JWT secret only through gw.jwt.keys{} and a
 * Redis URL (which may carry a password) only through gw.redis.connect
 * (all read in C), so no script can put one into a response. */
static int env_name_is_secret(const char *name) {
  static const char *const names[] = {
      "COS_SECRET_KEY",     "COS_SECRET_KEY_FILE",     "COS_SECRET_ID_FILE",
      "COS_SECURITY_TOKEN", "COS_SECURITY_TOKEN_FILE", "SGW_JWT_SECRET",
      "SGW_JWT_SECRET_FILE", "AWS_SECRET_ACCESS_KEY",
      "AWS_SECRET_ACCESS_KEY_FILE", "AWS_ACCESS_KEY_ID_FILE",
      "AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN_FILE", "SGW_REDIS_URL", NULL};
  for (int i = 0; names[i] != NULL; i++)
    if (strcmp(name, names[i]) == 0)
      return 1;
  return 0;
}

static int gw_env(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *v;

  if (env_name_is_secret(name))
    return luaL_error(L, "gw.env: '%s' is a credential; scripts use "
                         "ctx.cred, gw.jwt.keys{} or gw.redis.connect() "
                         "instead", name);
  v = getenv(name);
  if (v == NULL)
    return 0;
  lua_pushstring(L, v);
  return 1;
}

/* gw.has_env(name): whether the variable is set and not empty. Allowed
 * for credential names too: the shipped config switches a policy on by
 * the presence of a secret it never reads. */
static int gw_has_env(lua_State *L) {
  const char *v = getenv(luaL_checkstring(L, 1));

  lua_pushboolean(L, v != NULL && v[0] != '\0');
  return 1;
}

/* gw.status(): reload counters of the whole process. */
static int gw_status(lua_State *L) {
  const sgw_status_t *st;

  lua_getfield(L, LUA_REGISTRYINDEX, SGW_STATUS_KEY);
  st = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (st == NULL)
    return luaL_error(L, "gw.status is not available here");
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, atomic_load(&st->generation));
  lua_setfield(L, -2, "generation");
  lua_pushinteger(L, atomic_load(&st->reloads));
  lua_setfield(L, -2, "reloads");
  lua_pushinteger(L, atomic_load(&st->failed_reloads));
  lua_setfield(L, -2, "failed_reloads");
  lua_pushinteger(L, st->workers);
  lua_setfield(L, -2, "workers");
  return 1;
}

int luaopen_gw(lua_State *L) {
  static const luaL_Reg funcs[] = {{"sleep", gw_sleep}, {"env", gw_env},
                                   {"has_env", gw_has_env},
                                   {"status", gw_status}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
