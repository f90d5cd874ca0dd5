/* gw.event: lets requests wait for something another request does, such
 * as one upstream call that many requests need the result of (one STS
 * call for a worker's credential, not one each). A wait kind of the task
 * mechanism (runtime/task.h).
 *
 *   local e = gw.event.new()
 *   e:wait(timeout_ms)  --> true once set, or nil, "timeout"
 *   e:set()             --> wakes every waiter; later waits return at once
 *   e:clear(), e:is_set()
 *
 * An event belongs to the VM (one worker) that made it. Waiters are kept
 * in a list on the event; a waiting coroutine holds the event on its
 * stack, so it cannot be collected while anyone waits. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>

#include "lua/gw_lua.h"
#include "runtime/task.h"

#define SGW__EVENT_MT "gw.event"
#define SGW__EVENT_MAX_WAIT_MS (3600 * 1000)

typedef struct event_wait_s event_wait_t;

typedef struct event_s {
  int set;
  event_wait_t *waiters;
} event_t;

struct event_wait_s {
  sgw_wait_t wait;
  uv_timer_t timer;   /* the timeout, or 0 ms once the event is set */
  event_t *ev;
  int woken;          /* set() woke it: resume with true */
  event_wait_t *prev, *next;
};

static event_t *check_event(lua_State *L) {
  return luaL_checkudata(L, 1, SGW__EVENT_MT);
}

static void on_closed(uv_handle_t *h) { free(h->data); }

static void waiter_unlink(event_wait_t *w) {
  if (w->prev)
    w->prev->next = w->next;
  else
    w->ev->waiters = w->next;
  if (w->next)
    w->next->prev = w->prev;
  w->prev = w->next = NULL;
}

/* Ends the wait with `ok` and resumes its task. */
static void waiter_wake(event_wait_t *w, int ok) {
  sgw_task_t *t = sgw_wait_end(&w->wait);
  int n = 1;

  waiter_unlink(w);
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, on_closed);
  if (ok) {
    lua_pushboolean(t->co, 1);
  } else {
    lua_pushnil(t->co);
    lua_pushliteral(t->co, "timeout");
    n = 2;
  }
  sgw_task_resume(t, n);
}

static void on_timer(uv_timer_t *timer) {
  event_wait_t *w = timer->data;

  waiter_wake(w, w->woken);
}

static void event_cancel(sgw_wait_t *wait) {
  event_wait_t *w = (event_wait_t *)wait;

  waiter_unlink(w);
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, on_closed);
}

static int l_wait(lua_State *L) {
  event_t *ev = check_event(L);
  lua_Integer ms = luaL_checkinteger(L, 2);
  event_wait_t *w;
  sgw_task_t *t;

  luaL_argcheck(L, ms >= 0 && ms <= SGW__EVENT_MAX_WAIT_MS, 2,
                "must be 0 to 3600000 milliseconds");
  if (ev->set) {
    lua_pushboolean(L, 1);
    return 1;
  }
  t = sgw_task_check_wait(L, "gw.event wait");
  if ((w = calloc(1, sizeof(*w))) == NULL)
    return luaL_error(L, "gw.event: out of memory");
  w->ev = ev;
  w->next = ev->waiters;
  if (ev->waiters)
    ev->waiters->prev = w;
  ev->waiters = w;
  uv_timer_init(sgw_task_loop(t), &w->timer);
  w->timer.data = w;
  uv_timer_start(&w->timer, on_timer, (uint64_t)ms, 0);
  return sgw_task_yield(L, &w->wait, event_cancel);
}

/* Wakes every waiter. They resume from the loop, right after the caller
 * yields or returns, never inside this call: one handler does not run
 * inside another's. */
static int l_set(lua_State *L) {
  event_t *ev = check_event(L);
  int n = 0;

  ev->set = 1;
  for (event_wait_t *w = ev->waiters; w != NULL; w = w->next) {
    if (!w->woken) {
      w->woken = 1;
      uv_timer_start(&w->timer, on_timer, 0, 0);
      n++;
    }
  }
  lua_pushinteger(L, n);
  return 1;
}

static int l_clear(lua_State *L) {
  check_event(L)->set = 0;
  return 0;
}

static int l_is_set(lua_State *L) {
  lua_pushboolean(L, check_event(L)->set);
  return 1;
}

static int l_new(lua_State *L) {
  event_t *ev = lua_newuserdatauv(L, sizeof(*ev), 0);

  ev->set = 0;
  ev->waiters = NULL;
  luaL_setmetatable(L, SGW__EVENT_MT);
  return 1;
}

int luaopen_gw_event(lua_State *L) {
  static const luaL_Reg methods[] = {{"wait", l_wait}, {"set", l_set},
                                     {"clear", l_clear}, {"is_set", l_is_set},
                                     {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"new", l_new}, {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__EVENT_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
