/* Request handlers run as tasks (task.c) on the generation's VM.
 *
 * When a handler returns, its `status, body, headers` become the answer;
 * when it raises or overruns its budget, the client gets a 500 with the
 * request id and the traceback goes to the log only. Errors the server
 * and the router make (400, 404, 405, 408, 413, 414, 431, 500) run the
 * generation's error handler (config `errors`, lua/policy/errors.lua),
 * and fall back to a plain JSON body should that fail too.
 *
 * GET /metrics, /healthz and /readyz are answered in C before any route
 * is looked up (observe.c). Every answer is counted and logged
 * (sgw_obs_request) just before it goes to the server. */
#include "runtime/dispatch.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/observe.h"
#include "runtime/task.h"
#include "runtime/vm.h"
#include "runtime/worker.h"
#include "signgw/json.h"

typedef struct dispatch_out_s {
  int status;
  const char *content_type;
  const char *body;
  size_t body_len;
} dispatch_out_t;

/* What a task is running: a route's handler or the error handler. */
enum { SGW__RUN_ROUTE, SGW__RUN_ERROR };

static const char *error_code(int status) {
  switch (status) {
  case 400: return "bad_request";
  case 403: return "forbidden";
  case 404: return "not_found";
  case 405: return "method_not_allowed";
  case 408: return "request_timeout";
  case 413: return "body_too_large";
  case 414: return "uri_too_long";
  case 431: return "headers_too_large";
  default: return "internal";
  }
}

static const char *error_message(int status) {
  switch (status) {
  case 400: return "malformed HTTP request";
  case 403: return "not allowed from this address";
  case 404: return "no such route";
  case 405: return "method not allowed for this route";
  case 408: return "request not received in time";
  default: return sgw_http_reason(status);
  }
}

static int header_name_ok(const char *s, size_t len) {
  static const char *const reserved[] = {"content-length", "connection",
                                         "transfer-encoding", "date",
                                         "x-request-id", NULL};
  if (len == 0 || !sgw_http_token(s, len))
    return 0;
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
 * that could split the answer (CR/LF) is an error, never sent. */
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
static int dispatch_results(sgw_task_t *t, int nres, dispatch_out_t *o,
                            char *why, size_t whylen) {
  lua_State *co = t->co;
  sgw_worker_t *w = t->worker;
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

static void on_task_end(sgw_task_t *t, int how, int nres);

/* Counts and logs the answer, then hands it to the server (which may
 * start the next pipelined request on req at once). */
static void dispatch_respond(sgw_worker_t *w, sgw_http_req_t *req,
                             const sgw_obs_note_t *note, int status,
                             const char *content_type, const char *headers,
                             size_t headers_len, const char *body,
                             size_t body_len) {
  sgw_obs_request(w, req, note, status,
                  sgw_http_req_head_only(req) ? 0 : body_len);
  sgw_http_respond(req, status, content_type, headers, headers_len, body,
                   body_len);
}

/* {"error":code,"message":message}: the answer when nothing above can
 * shape one. */
static void dispatch_plain_error(sgw_worker_t *w, sgw_http_req_t *req,
                                 const sgw_obs_note_t *note, int status,
                                 const char *code, const char *message,
                                 const char *headers) {
  sgw_buf_t *b = &w->json;

  sgw_buf_reset(b);
  if (sgw_buf_appends(b, "{\"error\":") < 0 ||
      sgw_json_string(b, code, strlen(code)) < 0 ||
      sgw_buf_appends(b, ",\"message\":") < 0 ||
      sgw_json_string(b, message, strlen(message)) < 0 ||
      sgw_buf_appends(b, "}") < 0) {
    dispatch_respond(w, req, note, 500, NULL, NULL, 0, "", 0);
    return;
  }
  dispatch_respond(w, req, note, status, "application/json", headers,
                   headers ? strlen(headers) : 0, b->base, b->len);
}

/* Runs the error handler for `status` on a new task, or answers with the
 * plain JSON body when there is none or it cannot start. `allow` makes
 * an Allow header; `note` says what the request was for. */
static void dispatch_error_answer(sgw_worker_t *w, sgw_http_req_t *req,
                                  int status, const char *allow,
                                  const sgw_obs_note_t *note) {
  sgw_vm_t *vm = w->vm;
  char hdr[160];
  sgw_task_t *t;

  hdr[0] = '\0';
  if (allow != NULL)
    snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
  if (vm->error_handler == LUA_NOREF ||
      (t = sgw_task_new(w, vm, on_task_end)) == NULL) {
    sgw_obs_note_t n = *note;
    n.generation = vm->generation;
    dispatch_plain_error(w, req, &n, status, error_code(status),
                         error_message(status), hdr[0] ? hdr : NULL);
    return;
  }
  t->note.route = note->route;
  memcpy(t->note.user, note->user, sizeof(t->note.user));
  t->req = req;
  t->data = (void *)(intptr_t)SGW__RUN_ERROR;
  sgw_http_req_set_data(req, t);
  lua_rawgeti(t->co, LUA_REGISTRYINDEX, vm->error_handler);
  lua_pushinteger(t->co, status);
  lua_pushstring(t->co, error_code(status));
  lua_pushstring(t->co, error_message(status));
  sgw_lua_push_request(t->co, t);
  if (allow != NULL) {
    lua_createtable(t->co, 0, 1);
    lua_pushstring(t->co, allow);
    lua_setfield(t->co, -2, "Allow");
  } else {
    lua_pushnil(t->co);
  }
  sgw_task_start(t, 5);
}

/* ctx.user, when the handler's policy set one, into the task's note, for
 * the access log. Read with rawget on the VM's main thread, so nothing
 * of the script runs and the ended coroutine is left alone. The ctx is
 * the request's own table anchored by the coroutine's reference where
 * ctx is per request; anything else there has no user. */
static void dispatch_read_user(sgw_task_t *t) {
  lua_State *L = t->vm->L;
  char *u = t->note.user;

  u[0] = '\0';
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, t->co_ref) == LUA_TTABLE) {
    lua_pushliteral(L, "user");
    if (lua_rawget(L, -2) == LUA_TSTRING) {
      size_t len;
      const char *s = lua_tolstring(L, -1, &len);
      if (len > SGW_OBS_USER_MAX)
        len = SGW_OBS_USER_MAX;
      memcpy(u, s, len); /* a NUL inside ends it: the log writes text */
      u[len] = '\0';
    } else if (lua_isinteger(L, -1)) {
      snprintf(u, SGW_OBS_USER_MAX + 1, "%lld",
               (long long)lua_tointeger(L, -1));
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The handler is over: answer, then give the task back. */
static void on_task_end(sgw_task_t *t, int how, int nres) {
  sgw_worker_t *w = t->worker;
  sgw_http_req_t *req = t->req;
  int is_error = (intptr_t)t->data == SGW__RUN_ERROR;
  dispatch_out_t o = {0};
  sgw_obs_note_t note;
  char why[256];
  size_t plen;
  const char *path = sgw_http_req_path(req, &plen);

  /* From here the request is answered, not aborted: should the answer's
   * write close the connection, on_abort must not free this task. */
  sgw_http_req_set_data(req, NULL);
  if (!is_error)
    dispatch_read_user(t);
  if (how == SGW_TASK_DONE &&
      dispatch_results(t, nres, &o, why, sizeof(why)) == 0) {
    /* The body may live on the coroutine's stack: answer before the
     * coroutine goes back to the pool. */
    dispatch_respond(w, req, &t->note, o.status, o.content_type,
                     w->hdrs.base, w->hdrs.len, o.body, o.body_len);
    sgw_task_free(t, 1);
    return;
  }
  sgw_obs_script_error(how == SGW_TASK_OVERRUN ? SGW_OBS_SCRIPT_TIME
                       : how == SGW_TASK_ERROR && t->lua_status == LUA_ERRMEM
                           ? SGW_OBS_SCRIPT_MEMORY
                           : SGW_OBS_SCRIPT_ERROR);
  if (how == SGW_TASK_DONE) {
    sgw_log_error("request %s %s: bad handler result: %s",
                  sgw_http_req_id(req), sgw_http_req_method(req), why);
  } else {
    lua_State *L = t->vm->L;
    const char *msg = how == SGW_TASK_OVERRUN
                          ? "script ran past its time budget"
                          : lua_tostring(t->co, -1);
    /* The traceback is built on the main thread: the dead coroutine's
     * stack is only inspected, never grown. */
    luaL_traceback(L, t->co, msg ? msg : "(error object is not a string)",
                   0);
    sgw_log_error("request %s %s %.*s %s: %s", sgw_http_req_id(req),
                  sgw_http_req_method(req), (int)plen, path,
                  how == SGW_TASK_OVERRUN ? "stopped" : "failed",
                  lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  note = t->note;
  sgw_task_free(t, 0);
  if (is_error) /* the error handler failed: nothing left to shape it */
    dispatch_plain_error(w, req, &note, 500, "internal", "internal error",
                         NULL);
  else
    dispatch_error_answer(w, req, 500, NULL, &note);
}

/* ---- the server's callbacks ------------------------------------------ */

/* The route of req in the current generation. The one on_head found is
 * kept for on_request (one lookup a request): it is used only for the
 * same request on the same generation. */
static const sgw_route_t *dispatch_route(sgw_worker_t *w,
                                         sgw_http_req_t *req, char *allow,
                                         size_t allow_size) {
  size_t plen;
  const char *path;

  if (w->route_req == req && w->route_vm == w->vm && w->route != NULL) {
    allow[0] = '\0';
    return w->route;
  }
  path = sgw_http_req_path(req, &plen);
  return sgw_vm_route(w->vm, sgw_http_req_method(req), path, plen, allow,
                      allow_size);
}

static int on_head(sgw_http_req_t *req, void *ud) {
  sgw_worker_t *w = ud;
  char allow[128];
  const sgw_route_t *route;

  w->route_req = NULL;
  route = dispatch_route(w, req, allow, sizeof(allow));
  w->route_req = req;
  w->route_vm = w->vm;
  w->route = route;
  return route != NULL && route->body;
}

static void on_request(sgw_http_req_t *req, void *ud) {
  sgw_worker_t *w = ud;
  sgw_vm_t *vm = w->vm;
  sgw_obs_note_t note = {NULL, vm->generation, ""};
  char allow[128];
  const sgw_route_t *route;
  sgw_task_t *t;
  int err = sgw_http_req_error(req);

  if (err != 0) {
    dispatch_error_answer(w, req, err, NULL, &note);
    return;
  }
  switch (sgw_obs_builtin(w, req, &note)) {
  case 1:
    return;
  case 403:
    dispatch_error_answer(w, req, 403, NULL, &note);
    return;
  }
  route = dispatch_route(w, req, allow, sizeof(allow));
  w->route_req = NULL;
  if (route == NULL) {
    dispatch_error_answer(w, req, allow[0] ? 405 : 404,
                          allow[0] ? allow : NULL, &note);
    return;
  }
  note.route = sgw_obs_route((sgw_route_t *)route); /* calloc'd, not const */
  if ((t = sgw_task_new(w, vm, on_task_end)) == NULL) {
    dispatch_plain_error(w, req, &note, 500, "internal", "out of memory",
                         NULL);
    return;
  }
  t->note.route = note.route;
  t->req = req;
  t->data = (void *)(intptr_t)SGW__RUN_ROUTE;
  sgw_http_req_set_data(req, t);
  lua_rawgeti(t->co, LUA_REGISTRYINDEX, route->handler);
  sgw_lua_push_request(t->co, t);
  sgw_vm_push_ctx(vm, t->co, t->co_ref);
  sgw_task_start(t, 2);
}

/* The client went away before its answer: logged as 499, as nginx
 * does. */
static void on_abort(sgw_http_req_t *req, void *ud) {
  sgw_task_t *t = sgw_http_req_data(req);

  if (t != NULL) {
    sgw_obs_request(ud, req, &t->note, 499, 0);
    sgw_task_abort(t);
  }
}

sgw_http_handler_t sgw_dispatch_handler(sgw_worker_t *w) {
  sgw_http_handler_t h = {.on_head = on_head, .on_request = on_request,
                          .on_abort = on_abort, .ud = w};
  return h;
}
