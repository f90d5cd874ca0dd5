/* gw.http: outbound HTTP(S) requests from scripts, without blocking the
 * worker. A wait kind of the task mechanism (runtime/task.h) over the
 * libcurl-on-libuv client (client/http.h).
 *
 *   local status, body, headers = gw.http.request{
 *     method = "POST", url = "https://sts.tencentcloudapi.com/",
 *     headers = { ["Content-Type"] = "application/json" }, body = json,
 *     timeout_ms = 5000, max_redirects = 0 }
 *   -- or nil, message, kind  (kind: "timeout", "connect", "tls",
 *   --   "too_large", "busy", "protocol", "invalid", "internal")
 *
 * Each worker has one client (a service of the worker), so connections
 * are kept alive and reused across requests. Its settings come from the
 * config's `outbound` table (ca_file, connect_timeout_ms, timeout_ms,
 * max_response, max_concurrent, max_queued) as read when this module is
 * loaded, which also checks them, so a bad value or an unreadable CA file
 * fails the generation (and `signgw -t`). A generation whose settings
 * differ gets a new client; the old one closes when its last call ends. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/http.h"
#include "lua/gw_lua.h"
#include "runtime/settings.h"
#include "runtime/task.h"
#include "runtime/worker.h"
#include "signgw/error.h"

#define SGW__HTTP_MAX_HEADERS 64
#define SGW__HTTP_MAX_REDIRECTS 10
#define SGW__HTTP_MAX_TIMEOUT_MS (10 * 60 * 1000)

/* The outbound settings of one generation (the module's upvalue). */
typedef struct http_conf_s {
  sgw_http_opts_t opts;
  char ca_file[4096]; /* "" for the system store */
} http_conf_t;

/* One client and the settings it was made with. */
typedef struct http_client_s {
  sgw_http_client_t *client;
  http_conf_t conf;
  unsigned inflight;
  int retired;
  struct http_client_s *next;
} http_client_t;

/* The worker's service: the current client and retired ones winding down. */
typedef struct http_service_s {
  http_client_t *clients; /* the first is current unless retired */
} http_service_t;

typedef struct http_wait_s {
  sgw_wait_t wait;
  sgw_http_call_t *call;
  http_client_t *hc;
  struct http_service_s *svc;
} http_wait_t;

static const char service_key = 0;

/* ---- clients per worker ---------------------------------------------- */

static int conf_equal(const http_conf_t *a, const http_conf_t *b) {
  return a->opts.connect_timeout_ms == b->opts.connect_timeout_ms &&
         a->opts.timeout_ms == b->opts.timeout_ms &&
         a->opts.max_body == b->opts.max_body &&
         a->opts.max_concurrent == b->opts.max_concurrent &&
         a->opts.max_queued == b->opts.max_queued &&
         strcmp(a->ca_file, b->ca_file) == 0;
}

static void client_close(http_service_t *svc, http_client_t *hc) {
  http_client_t **p = &svc->clients;

  while (*p != hc)
    p = &(*p)->next;
  *p = hc->next;
  sgw_http_client_close(hc->client, NULL, NULL);
  free(hc);
}

/* A retired client goes once nothing waits on it. */
static void client_release(http_client_t *hc, http_service_t *svc) {
  hc->inflight--;
  if (hc->retired && hc->inflight == 0)
    client_close(svc, hc);
}

static void service_close(void *ptr) {
  http_service_t *svc = ptr;

  while (svc->clients != NULL)
    client_close(svc, svc->clients);
  free(svc);
}

static http_service_t *service_get(sgw_worker_t *w) {
  http_service_t *svc = sgw_worker_service(w, &service_key);

  if (svc != NULL)
    return svc;
  if ((svc = calloc(1, sizeof(*svc))) == NULL)
    return NULL;
  if (sgw_worker_add_service(w, &service_key, svc, service_close) < 0) {
    free(svc);
    return NULL;
  }
  return svc;
}

/* The client for this generation's settings, made on first use. */
static http_client_t *client_for(sgw_worker_t *w, const http_conf_t *conf,
                                 int *err) {
  http_service_t *svc = service_get(w);
  http_client_t *hc;

  *err = SGW_ENOMEM;
  if (svc == NULL)
    return NULL;
  hc = svc->clients;
  if (hc != NULL && !hc->retired && conf_equal(&hc->conf, conf))
    return hc;
  if (hc != NULL && !hc->retired) {
    hc->retired = 1;
    if (hc->inflight == 0)
      client_close(svc, hc);
  }
  if ((hc = calloc(1, sizeof(*hc))) == NULL)
    return NULL;
  hc->conf = *conf;
  hc->conf.opts.ca_file = hc->conf.ca_file[0] ? hc->conf.ca_file : NULL;
  if ((*err = sgw_http_client_new(&w->loop, &hc->conf.opts, &hc->client)) <
      0) {
    free(hc);
    return NULL;
  }
  hc->next = svc->clients;
  svc->clients = hc;
  return hc;
}

/* ---- results ---------------------------------------------------------- */

static const char *err_kind(int err) {
  switch (err) {
  case SGW_ETIMEDOUT: return "timeout";
  case SGW_ECONN: return "connect";
  case SGW_ETLS: return "tls";
  case SGW_ETOOBIG: return "too_large";
  case SGW_EBUSY: return "busy";
  case SGW_EPROTO: return "protocol";
  case SGW_EINVAL: return "invalid";
  default: return "internal";
  }
}

static int push_error(lua_State *L, int err, const char *text) {
  lua_pushnil(L);
  lua_pushstring(L, text ? text : sgw_strerror(err));
  lua_pushstring(L, err_kind(err));
  return 3;
}

/* Response headers as name -> value; a repeated name's values are joined
 * with ", " (RFC 9110 section 5.3). */
static void push_headers(lua_State *L, const sgw_http_response_t *res) {
  lua_createtable(L, 0, (int)res->nheaders);
  for (size_t i = 0; i < res->nheaders; i++) {
    const sgw_http_header_t *h = &res->headers[i];
    if (lua_getfield(L, -1, h->name) == LUA_TSTRING) {
      lua_pushliteral(L, ", ");
      lua_pushstring(L, h->value);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushstring(L, h->value);
    }
    lua_setfield(L, -2, h->name);
  }
}

static void on_done(sgw_http_call_t *call, int err, const char *errtext,
                    const sgw_http_response_t *res, void *data) {
  http_wait_t *hw = data;
  sgw_task_t *t = sgw_wait_end(&hw->wait);
  int n;

  (void)call;
  client_release(hw->hc, hw->svc);
  free(hw);
  if (err < 0) {
    n = push_error(t->co, err, errtext);
  } else {
    lua_pushinteger(t->co, res->status);
    lua_pushlstring(t->co, res->body ? res->body : "", res->body_len);
    push_headers(t->co, res);
    n = 3;
  }
  sgw_task_resume(t, n);
}

static void http_cancel(sgw_wait_t *w) {
  http_wait_t *hw = (http_wait_t *)w;

  sgw_http_call_cancel(hw->call);
  client_release(hw->hc, hw->svc);
  free(hw);
}

/* ---- request ---------------------------------------------------------- */

static uint32_t opt_ms(lua_State *L, int t, const char *k, uint32_t def,
                       uint32_t max) {
  int isnum;
  lua_Integer v;

  if (lua_getfield(L, t, k) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum || v < 0 || (lua_Unsigned)v > max)
    luaL_error(L, "gw.http.request: '%s' must be an integer from 0 to %u", k,
               (unsigned)max);
  lua_pop(L, 1);
  return (uint32_t)v;
}

/* Reads the header table t.headers into h. The table (which anchors its
 * names and string values) and a table anchoring numbers converted to
 * strings stay on the stack until the call is made. */
static size_t opt_headers(lua_State *L, int t, sgw_http_header_t *h) {
  size_t n = 0;
  int idx, anchor;

  lua_getfield(L, t, "headers");
  lua_newtable(L);
  idx = lua_gettop(L) - 1;
  anchor = idx + 1;
  if (lua_isnil(L, idx))
    return 0;
  luaL_argcheck(L, lua_istable(L, idx), 1, "'headers' must be a table");
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING ||
        (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      luaL_error(L, "gw.http.request: headers must map names to strings");
    if (n == SGW__HTTP_MAX_HEADERS)
      luaL_error(L, "gw.http.request: more than %d headers",
                 SGW__HTTP_MAX_HEADERS);
    h[n].name = lua_tostring(L, -2);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_pushvalue(L, -1);
      h[n].value = lua_tostring(L, -1);
      lua_rawseti(L, anchor, (lua_Integer)n + 1);
    } else {
      h[n].value = lua_tostring(L, -1);
    }
    n++;
  }
  return n;
}

static int l_request(lua_State *L) {
  const http_conf_t *conf = lua_touserdata(L, lua_upvalueindex(1));
  sgw_http_header_t headers[SGW__HTTP_MAX_HEADERS];
  sgw_http_request_t req = {0};
  http_client_t *hc;
  http_wait_t *hw;
  sgw_task_t *t;
  int rc;

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  t = sgw_task_check_wait(L, "gw.http.request");
  if (lua_getfield(L, 1, "url") != LUA_TSTRING)
    return luaL_error(L, "gw.http.request: 'url' is required");
  req.url = lua_tostring(L, -1);
  if (lua_getfield(L, 1, "method") != LUA_TNIL &&
      lua_type(L, -1) != LUA_TSTRING)
    return luaL_error(L, "gw.http.request: 'method' must be a string");
  req.method = lua_tostring(L, -1);
  if (lua_getfield(L, 1, "body") != LUA_TNIL &&
      lua_type(L, -1) != LUA_TSTRING)
    return luaL_error(L, "gw.http.request: 'body' must be a string");
  req.body = lua_tolstring(L, -1, &req.body_len);
  req.timeout_ms = opt_ms(L, 1, "timeout_ms", 0, SGW__HTTP_MAX_TIMEOUT_MS);
  req.max_redirects = opt_ms(L, 1, "max_redirects", 0,
                             SGW__HTTP_MAX_REDIRECTS);
  req.headers = headers;
  req.nheaders = opt_headers(L, 1, headers);

  if ((hc = client_for(t->worker, conf, &rc)) == NULL)
    return push_error(L, rc, "cannot make the outbound client");
  if ((hw = calloc(1, sizeof(*hw))) == NULL)
    return push_error(L, SGW_ENOMEM, NULL);
  /* Everything in req is copied before this returns. */
  if ((rc = sgw_http_request(hc->client, &req, on_done, hw, &hw->call)) < 0) {
    free(hw);
    return push_error(L, rc, rc == SGW_EBUSY ? "too many outbound requests "
                                               "at once"
                             : rc == SGW_EINVAL ? "bad method, URL or header"
                                                : NULL);
  }
  hw->hc = hc;
  hw->svc = sgw_worker_service(t->worker, &service_key);
  hc->inflight++;
  return sgw_task_yield(L, &hw->wait, http_cancel);
}

/* ---- settings ---------------------------------------------------------- */

static lua_Integer conf_int(lua_State *L, int t, const char *k,
                            lua_Integer def, lua_Integer min,
                            lua_Integer max) {
  int isnum;
  lua_Integer v;

  if (t == 0 || sgw_settings_field(L, t, k) == LUA_TNIL) {
    if (t != 0)
      lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum || v < min || v > max)
    luaL_error(L, "config: outbound.%s must be an integer from %d to %d", k,
               (int)min, (int)max);
  lua_pop(L, 1);
  return v;
}

/* Reads gw.config.outbound (and SGW_CA_FILE) into conf, checking it. */
static void conf_read(lua_State *L, http_conf_t *conf) {
  const char *ca = getenv("SGW_CA_FILE");
  int t = 0;

  sgw_http_opts_init(&conf->opts);
  conf->ca_file[0] = '\0';
  lua_getglobal(L, "gw");
  if (lua_istable(L, -1) && lua_getfield(L, -1, "config") == LUA_TTABLE &&
      sgw_settings_field(L, lua_gettop(L), "outbound") != LUA_TNIL) {
    if (!lua_istable(L, -1))
      luaL_error(L, "config: outbound must be a table");
    t = lua_gettop(L);
  }
  conf->opts.connect_timeout_ms = (uint32_t)conf_int(
      L, t, "connect_timeout_ms", conf->opts.connect_timeout_ms, 1, 600000);
  conf->opts.timeout_ms = (uint32_t)conf_int(L, t, "timeout_ms",
                                             conf->opts.timeout_ms, 1,
                                             SGW__HTTP_MAX_TIMEOUT_MS);
  conf->opts.max_body = (size_t)conf_int(L, t, "max_response",
                                         (lua_Integer)conf->opts.max_body, 1,
                                         1 << 30);
  conf->opts.max_concurrent = (uint32_t)conf_int(
      L, t, "max_concurrent", 256, 1, 100000);
  conf->opts.max_queued = (uint32_t)conf_int(L, t, "max_queued",
                                             conf->opts.max_queued, 0,
                                             1000000);
  if (t != 0 && (ca == NULL || *ca == '\0')) {
    if (sgw_settings_field(L, t, "ca_file") == LUA_TSTRING)
      ca = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1))
      luaL_error(L, "config: outbound.ca_file must be a path");
  }
  if (ca != NULL && *ca != '\0') {
    if (strlen(ca) >= sizeof(conf->ca_file))
      luaL_error(L, "config: outbound.ca_file: path too long");
    if (access(ca, R_OK) != 0)
      luaL_error(L, "config: outbound.ca_file (or SGW_CA_FILE) %s cannot be "
                    "read", ca);
    strcpy(conf->ca_file, ca);
  }
}

int luaopen_gw_http(lua_State *L) {
  http_conf_t *conf = lua_newuserdatauv(L, sizeof(*conf), 0);
  int top = lua_gettop(L);

  conf_read(L, conf);
  lua_settop(L, top);
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, top);
  lua_pushcclosure(L, l_request, 1);
  lua_setfield(L, -2, "request");
  return 1;
}
