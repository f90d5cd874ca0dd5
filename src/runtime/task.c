/* Tasks: a request handler's coroutine, its time budget and its waits.
 * See task.h. */
#include "runtime/task.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>

#include "runtime/budget.h"
#include "runtime/vm.h"
#include "runtime/worker.h"

#define SGW__TASK_POOL 256 /* free tasks kept per worker */

sgw_task_t *sgw_task_of(lua_State *L) {
  return *(sgw_task_t **)lua_getextraspace(L);
}

uv_loop_t *sgw_task_loop(const sgw_task_t *t) { return &t->worker->loop; }

sgw_task_t *sgw_task_new(sgw_worker_t *w, sgw_vm_t *vm,
                         sgw_task_end_cb on_end) {
  sgw_task_t *t = w->task_pool;

  if (t != NULL) {
    w->task_pool = t->next_free;
    w->ntask_pool--;
  } else if ((t = malloc(sizeof(*t))) == NULL) {
    return NULL;
  }
  t->worker = w;
  t->vm = vm;
  t->req = NULL;
  t->udata = NULL;
  t->waits.prev = t->waits.next = &t->waits;
  t->budget_ns = (uint64_t)vm->settings.limits.script_timeout_ms * 1000000;
  t->lua_status = LUA_OK;
  t->note.route = NULL;
  t->note.generation = vm->generation;
  t->note.user[0] = '\0';
  t->on_end = on_end;
  t->data = NULL;
  t->next_free = NULL;
  t->co = sgw_vm_thread(vm, &t->co_ref);
  *(sgw_task_t **)lua_getextraspace(t->co) = t;
  vm->inflight++;
  return t;
}

static void task_cancel_waits(sgw_task_t *t) {
  while (t->waits.next != &t->waits) {
    sgw_wait_t *w = t->waits.next;
    sgw_wait_end(w);
    w->cancel(w); /* frees w */
  }
}

void sgw_task_free(sgw_task_t *t, int reusable) {
  sgw_worker_t *w = t->worker;
  sgw_vm_t *vm = t->vm;

  task_cancel_waits(t);
  if (t->udata != NULL)
    *t->udata = NULL; /* a script that kept `req` gets an error, not data */
  *(sgw_task_t **)lua_getextraspace(t->co) = NULL;
  sgw_vm_thread_done(vm, t->co, t->co_ref, reusable);
  vm->inflight--;
  if (w->ntask_pool < SGW__TASK_POOL) {
    t->next_free = w->task_pool;
    w->task_pool = t;
    w->ntask_pool++;
  } else {
    free(t);
  }
  sgw_worker_reap(w); /* vm may be a retired generation */
}

static int task_waiting(const sgw_task_t *t) {
  return t->waits.next != &t->waits;
}

/* One run of the coroutine, until it returns, raises, overruns or waits. */
static void task_run(sgw_task_t *t, int nargs) {
  sgw_vm_t *vm = t->vm;
  uint64_t t0 = uv_hrtime(), used;
  int nres = 0, st;

  sgw_budget_arm(vm, t->co, t->budget_ns);
  st = lua_resume(t->co, vm->L, nargs, &nres);
  sgw_budget_arm(vm, NULL, 0);
  t->lua_status = st;
  /* Time spent waiting does not count: keep what is left for later. */
  used = uv_hrtime() - t0;
  t->budget_ns = used < t->budget_ns ? t->budget_ns - used : 1;
  if (st == LUA_YIELD && vm->overrun) {
    t->on_end(t, SGW_TASK_OVERRUN, 0);
    return;
  }
  if (st == LUA_YIELD && task_waiting(t)) {
    lua_pop(t->co, nres);
    return; /* a primitive resumes us */
  }
  if (st == LUA_OK) {
    t->on_end(t, SGW_TASK_DONE, nres);
    return;
  }
  if (st == LUA_YIELD)
    lua_pushliteral(t->co, "handler yielded outside a gw primitive "
                           "(coroutine.yield at the top level of a handler)");
  t->on_end(t, SGW_TASK_ERROR, 0);
}

void sgw_task_start(sgw_task_t *t, int nargs) { task_run(t, nargs); }

void sgw_task_resume(sgw_task_t *t, int nargs) { task_run(t, nargs); }

void sgw_task_abort(sgw_task_t *t) {
  t->req = NULL;
  sgw_task_free(t, 0);
}

sgw_task_t *sgw_task_check_wait(lua_State *L, const char *what) {
  sgw_task_t *t = sgw_task_of(L);

  /* Only the task's own coroutine is resumed by the runtime: a yield
   * from a coroutine the script made would go back to the script. */
  if (t == NULL || t->co != L || !lua_isyieldable(L))
    luaL_error(L, "%s can only wait in a request handler (not at load "
                  "time, in a coroutine the script made, or inside a "
                  "metamethod or C call)", what);
  return t;
}

int sgw_task_yield(lua_State *L, sgw_wait_t *w, sgw_wait_cancel_cb cancel) {
  sgw_task_t *t = sgw_task_of(L);

  w->task = t;
  w->cancel = cancel;
  w->prev = t->waits.prev;
  w->next = &t->waits;
  t->waits.prev->next = w;
  t->waits.prev = w;
  return lua_yield(L, 0);
}

sgw_task_t *sgw_wait_end(sgw_wait_t *w) {
  sgw_task_t *t = w->task;

  w->prev->next = w->next;
  w->next->prev = w->prev;
  w->prev = w->next = NULL;
  w->task = NULL;
  return t;
}
