/* A task: one request handler running in a coroutine of its generation's
 * VM, and what it waits for.
 *
 * Every primitive that waits (gw.sleep, gw.http, gw.redis, ...) is a
 * wait kind in its own file: it arms its event, hands the task a
 * sgw_wait_t with a cancel callback and yields (sgw_task_yield). When the
 * event comes, it ends the wait, pushes its results on the task's
 * coroutine and resumes it (sgw_wait_end + sgw_task_resume). If the task
 * dies first (the client went away, the script ran out of time, the
 * server halts), the task calls each pending wait's cancel callback,
 * which aborts the event and frees the wait. So adding a primitive
 * touches neither the server nor the other primitives.
 *
 * Ownership: the worker owns tasks (a pool). A wait is owned by the
 * primitive that made it; the task only links it. After cancel returns,
 * or once the primitive has ended the wait, the task never touches it. */
#ifndef SGW_TASK_H
#define SGW_TASK_H

#include <stdint.h>
#include <uv.h>

#include "runtime/observe.h"

struct lua_State;
struct sgw_vm_s;
struct sgw_worker_s;
struct sgw_http_req_s;

typedef struct sgw_task_s sgw_task_t;
typedef struct sgw_wait_s sgw_wait_t;

/* The task is gone: abort the event and free the wait. Must not resume
 * the task or touch Lua. */
typedef void (*sgw_wait_cancel_cb)(sgw_wait_t *w);

struct sgw_wait_s {
  sgw_task_t *task;
  sgw_wait_cancel_cb cancel;
  sgw_wait_t *prev, *next;
};

/* How a run of the coroutine ended. */
enum {
  SGW_TASK_DONE,    /* returned: its results are on the coroutine */
  SGW_TASK_ERROR,   /* raised: the error value is on top */
  SGW_TASK_OVERRUN  /* stopped for running past its time budget */
};

/* Called when the handler has finished one way or another; `nres`
 * results (DONE) or the error (ERROR) are on the coroutine. The callee
 * answers and then frees the task with sgw_task_free(). */
typedef void (*sgw_task_end_cb)(sgw_task_t *t, int how, int nres);

struct sgw_task_s {
  struct sgw_worker_s *worker;
  struct sgw_vm_s *vm;            /* the generation it runs on */
  struct lua_State *co;           /* its coroutine; anchored by co_ref */
  int co_ref;
  struct sgw_http_req_s *req;     /* NULL once the client is gone */
  void **udata;                   /* the Lua `req` object's pointer slot */
  sgw_wait_t waits;               /* sentinel of the pending waits */
  uint64_t budget_ns;             /* Lua run time left */
  int lua_status;                 /* of the last lua_resume (LUA_ERRMEM...) */
  sgw_task_end_cb on_end;
  void *data;                     /* the owner's (dispatch) */
  sgw_obs_note_t note;            /* the owner's: route and user, for the
                                     access log and metrics */
  sgw_task_t *next_free;
};

/* A task on `vm` with a fresh (or reused) coroutine. NULL when out of
 * memory. The caller pushes the function and its arguments on t->co. */
sgw_task_t *sgw_task_new(struct sgw_worker_s *w, struct sgw_vm_s *vm,
                         sgw_task_end_cb on_end);
/* Runs the coroutine with the `nargs` values on top of the function. */
void sgw_task_start(sgw_task_t *t, int nargs);
/* Cancels pending waits, gives the coroutine back (reusable only if it
 * finished normally) and returns the task to the pool. */
void sgw_task_free(sgw_task_t *t, int reusable);

/* The task running on coroutine L, or NULL outside a handler. */
sgw_task_t *sgw_task_of(struct lua_State *L);
/* The loop of the worker the task runs on. */
uv_loop_t *sgw_task_loop(const sgw_task_t *t);

/* For a primitive: links w to the task running on L and yields it.
 * Use as `return sgw_task_yield(L, w, cancel);`. Raises a Lua error
 * (before linking anything) when L is not a task's own coroutine (a
 * coroutine the script made, a metamethod, a C callback). */
int sgw_task_yield(struct lua_State *L, sgw_wait_t *w,
                   sgw_wait_cancel_cb cancel);
/* Raises the same error sgw_task_yield would, without waiting: for a
 * primitive to check before it arms its event. Returns the task. */
sgw_task_t *sgw_task_check_wait(struct lua_State *L, const char *what);

/* For the event callback: unlinks w and returns its task, whose
 * coroutine (t->co) takes the results. */
sgw_task_t *sgw_wait_end(sgw_wait_t *w);
/* Resumes a task whose wait ended, with `nargs` results pushed on t->co. */
void sgw_task_resume(sgw_task_t *t, int nargs);

/* Drops a task whose client is gone: every wait is cancelled and the
 * coroutine is abandoned (on_end is not called). */
void sgw_task_abort(sgw_task_t *t);

#endif
