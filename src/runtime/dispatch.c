/* Request handlers run in coroutines of the generation's VM.
 *
 * A primitive that waits (gw.sleep, later outbound I/O) arms its event,
 * sets r->waiting and yields; its callback calls sgw_dispatch_resume().
 * When the handler returns, its `status, body, headers` become the
 * response; when it raises, the client gets a 500 with the request id and
 * the traceback goes to the log only. */
#include "runtime/dispatch.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/budget.h"
#include "runtime/worker.h"
#include "server/conn.h"

typedef struct dispatch_out_s {
  int status;
  const char *content_type;
  const char *body;
  size_t body_len;
} dispatch_out_t;

/* Releases what a handler that failed or was abandoned held; its
 * coroutine is not reused. */
static void dispatch_end(sgw_request_t *r) {
  sgw_request_detach(r);
  if (r->vm != NULL) {
    sgw_vm_thread_done(r->vm, r->co, r->co_ref, 0);
    r->vm->inflight--;
  }
  r->vm = NULL;
  r->co = NULL;
  r->waiting = 0;
}

static void dispatch_internal_error(sgw_request_t *r) {
  char body[96];
  int n = snprintf(body, sizeof(body),
                   "{\"error\":\"internal\",\"requestId\":\"%s\"}", r->id);
  sgw_worker_t *w = r->conn->worker;

  dispatch_end(r);
  sgw_conn_respond(r->conn, 500, "application/json", NULL, 0, body,
                   (size_t)n);
  sgw_worker_reap(w);
}

static int header_name_ok(const char *s, size_t len) {
  static const char *const reserved[] = {"content-length", "connection",
                                         "transfer-encoding", "date",
                                         "x-request-id", NULL};
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= ' ' || ch >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", ch))
      return 0;
  }
  for (int i = 0; reserved[i]; i++)
    if (strlen(reserved[i]) == len && strncasecmp(s, reserved[i], len) == 0)
      return 0;
  return 1;
}

static int header_value_ok(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
      return 0;
  return 1;
}

/* Formats the handler's header table (at idx) into w->hdrs. A header
 * that could split the response (CR/LF) is an error, never sent. */
static int dispatch_headers(lua_State *co, int idx, sgw_worker_t *w,
                            dispatch_out_t *o, const char **why) {
  sgw_buf_t *h = &w->hdrs;
  int has_cache_control = 0;

  sgw_buf_reset(h);
  if (!lua_isnoneornil(co, idx)) {
    if (!lua_istable(co, idx))
      return (*why = "headers must be a table"), -1;
    for (lua_pushnil(co); lua_next(co, idx); lua_pop(co, 1)) {
      size_t nl, vl;
      const char *n, *v;
      if (lua_type(co, -2) != LUA_TSTRING ||
          (lua_type(co, -1) != LUA_TSTRING && lua_type(co, -1) != LUA_TNUMBER))
        return (*why = "header names and values must be strings"), -1;
      n = lua_tolstring(co, -2, &nl);
      v = lua_tolstring(co, -1, &vl); /* a number is converted in place */
      if (!header_name_ok(n, nl) || !header_value_ok(v, vl))
        return (*why = "invalid or reserved header"), -1;
      if (nl == 12 && strncasecmp(n, "content-type", 12) == 0) {
        o->content_type = v;
        continue;
      }
      has_cache_control |= nl == 13 && strncasecmp(n, "cache-control", 13) == 0;
      if (sgw_buf_append(h, n, nl) < 0 || sgw_buf_append(h, ": ", 2) < 0 ||
          sgw_buf_append(h, v, vl) < 0 || sgw_buf_append(h, "\r\n", 2) < 0)
        return (*why = "out of memory"), -1;
    }
  }
  /* Signatures are per request: never let a cache keep one. */
  if (!has_cache_control &&
      sgw_buf_appends(h, "Cache-Control: no-store\r\n") < 0)
    return (*why = "out of memory"), -1;
  return 0;
}

/* Reads `status, body, headers` from the top nres values of co. */
static int dispatch_results(sgw_request_t *r, int nres, dispatch_out_t *o,
                            char *why, size_t whylen) {
  lua_State *co = r->co;
  sgw_worker_t *w = r->conn->worker;
  int base = lua_gettop(co) - nres + 1, isnum;
  lua_Integer status = lua_tointegerx(co, base, &isnum);
  const char *msg = NULL;

  if (nres < 1 || !isnum || status < 200 || status > 599) {
    snprintf(why, whylen, "handler must return an HTTP status (200-599)");
    return -1;
  }
  o->status = (int)status;
  o->body = "";
  o->body_len = 0;
  if (lua_type(co, base + 1) == LUA_TTABLE) {
    sgw_buf_reset(&w->json);
    if (sgw_lua_json_encode(co, base + 1, &w->json, why, whylen) < 0)
      return -1;
    o->body = w->json.base;
    o->body_len = w->json.len;
    o->content_type = "application/json";
  } else if (lua_type(co, base + 1) == LUA_TSTRING) {
    o->body = lua_tolstring(co, base + 1, &o->body_len);
    o->content_type = "text/plain; charset=utf-8";
  } else if (!lua_isnoneornil(co, base + 1)) {
    snprintf(why, whylen, "body must be a table, a string or nil, not %s",
             luaL_typename(co, base + 1));
    return -1;
  }
  if (dispatch_headers(co, base + 2, w, o, &msg) < 0) {
    snprintf(why, whylen, "%s", msg);
    return -1;
  }
  return 0;
}

static void dispatch_finish(sgw_request_t *r, int nres) {
  dispatch_out_t o = {0};
  char why[256];
  sgw_conn_t *c = r->conn;
  sgw_buf_t *hdrs = &c->worker->hdrs;
  sgw_vm_t *vm = r->vm;
  lua_State *co = r->co;
  int ref = r->co_ref;

  if (dispatch_results(r, nres, &o, why, sizeof(why)) < 0) {
    sgw_log_error("request %s %s: bad handler result: %s", r->id, r->method,
                  why);
    dispatch_internal_error(r);
    return;
  }
  /* The body may live on the coroutine's stack, and answering may start
   * the next pipelined request on r: keep the coroutine and its VM until
   * the response is copied out. */
  sgw_request_detach(r);
  r->vm = NULL;
  r->co = NULL;
  sgw_conn_respond(c, o.status, o.content_type, hdrs->base, hdrs->len,
                   o.body, o.body_len);
  sgw_vm_thread_done(vm, co, ref, 1);
  vm->inflight--;
  sgw_worker_reap(c->worker); /* vm may be a retired generation */
}

static void dispatch_error(sgw_request_t *r) {
  lua_State *co = r->co, *L = r->vm->L;
  const char *msg = lua_tostring(co, -1);

  /* The traceback is built on the main thread: the dead coroutine's stack
   * is only inspected, never grown. */
  luaL_traceback(L, co, msg ? msg : "(error object is not a string)", 0);
  sgw_log_error("request %s %s %.*s failed: %s", r->id, r->method,
                (int)r->path_len, r->head.base + r->url_off,
                lua_tostring(L, -1));
  lua_pop(L, 1);
  dispatch_internal_error(r);
}

static void dispatch_overrun(sgw_request_t *r) {
  lua_State *L = r->vm->L;

  luaL_traceback(L, r->co, "script ran past its time budget", 0);
  sgw_log_error("request %s %s %.*s stopped: %s", r->id, r->method,
                (int)r->path_len, r->head.base + r->url_off,
                lua_tostring(L, -1));
  lua_pop(L, 1);
  dispatch_internal_error(r);
}

static void dispatch_run(sgw_request_t *r, int nargs) {
  sgw_vm_t *vm = r->vm;
  uint64_t t0 = uv_hrtime(), used;
  int nres = 0, st;

  r->waiting = 0;
  sgw_budget_arm(vm, r->co, r->budget_ns);
  st = lua_resume(r->co, vm->L, nargs, &nres);
  sgw_budget_arm(vm, NULL, 0);
  /* Time spent waiting does not count: keep what is left for later. */
  used = uv_hrtime() - t0;
  r->budget_ns = used < r->budget_ns ? r->budget_ns - used : 1;
  if (st == LUA_YIELD && vm->overrun) {
    dispatch_overrun(r);
    return;
  }
  if (st == LUA_YIELD && r->waiting) {
    lua_pop(r->co, nres);
    return; /* a primitive resumes us */
  }
  if (st == LUA_OK) {
    dispatch_finish(r, nres);
    return;
  }
  if (st == LUA_YIELD)
    lua_pushliteral(r->co, "handler yielded outside a gw primitive "
                           "(coroutine.yield at the top level of a handler)");
  dispatch_error(r);
}

void sgw_dispatch(sgw_conn_t *c) {
  sgw_request_t *r = &c->req;
  sgw_vm_t *vm = c->worker->vm;
  const char *path = r->head.base + r->url_off;
  char allow[128], hdr[160];
  const sgw_route_t *route =
      sgw_vm_route(vm, r->method, path, r->path_len, allow, sizeof(allow));

  if (route == NULL) {
    if (allow[0] == '\0') {
      sgw_conn_respond_error(c, 404, "not_found", "no such route", NULL);
      return;
    }
    snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
    sgw_conn_respond_error(c, 405, "method_not_allowed",
                           "method not allowed for this route", hdr);
    return;
  }
  r->co = sgw_vm_thread(vm, &r->co_ref);
  r->vm = vm;
  r->budget_ns = (uint64_t)vm->settings.limits.script_timeout_ms * 1000000;
  vm->inflight++;
  *(sgw_request_t **)lua_getextraspace(r->co) = r;
  lua_rawgeti(r->co, LUA_REGISTRYINDEX, route->handler);
  sgw_request_push(r->co, r);
  sgw_vm_push_ctx(vm, r->co, r->co_ref);
  dispatch_run(r, 2);
}

void sgw_dispatch_resume(sgw_request_t *r, int nargs) {
  if (r->co == NULL)
    return;
  dispatch_run(r, nargs);
}

static void on_sleep_done(uv_timer_t *t) {
  sgw_conn_t *c = t->data;

  sgw_dispatch_resume(&c->req, 0);
}

void sgw_dispatch_sleep(sgw_request_t *r, uint64_t ms) {
  r->waiting = 1;
  uv_timer_start(&r->timer, on_sleep_done, ms, 0);
}

void sgw_dispatch_abort(sgw_request_t *r) {
  uv_timer_stop(&r->timer);
  dispatch_end(r);
  r->running = 0;
  sgw_worker_reap(r->conn->worker);
}
