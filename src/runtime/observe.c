/* Metrics and access log per request, the built-in answers, and the
 * process-wide state behind them. See observe.h. */
#include "runtime/observe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "runtime/alog.h"
#include "runtime/probe_redis.h"
#include "runtime/ready.h"
#include "runtime/status.h"
#include "runtime/vm.h"
#include "runtime/worker.h"
#include "signgw/error.h"
#include "signgw/json.h"
#include "signgw/url.h"

#ifndef SGW_VERSION
#define SGW_VERSION "unknown"
#endif

#define SGW__MAX_WORKERS 1024
#define SGW__MAX_ROUTES 4096     /* route names kept for the process */
#define SGW__ALOG_CHUNK (32u << 10) /* a worker hands its lines over past this */
#define SGW__ALOG_MAX_PATH 1024  /* bytes of a path written to the log */
#define SGW__ALOG_MAX_EXT 64     /* bytes of the ext parameter written */
#define SGW__TICK_MS 1000

#define SGW__STATUS_MIN 100
#define SGW__STATUS_MAX 699

struct sgw_obs_route_s {
  char *label;             /* "GET /put-sign"; "none" for no route */
  size_t len;
  char *json;              /* the label as a JSON string, or "null" */
  size_t json_len;
  sgw_series_t *duration;  /* NULL when metrics are off */
  /* signgw_requests_total{route=label,status} by status, found on first
   * use by any thread: a series is the same for every thread, so caching
   * it here spares each request the lookup by label values. */
  _Atomic(sgw_series_t *) requests[SGW__STATUS_MAX - SGW__STATUS_MIN + 1];
  sgw_obs_route_t *next;
};

/* The duration buckets (seconds): signing answers in well under a
 * millisecond, outbound waits take tens to hundreds. */
static const double duration_buckets[] = {0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025, 0.05,   0.1,
                                          0.25,   0.5,   1,      2.5,
                                          5,      10};

static const char *const conn_state_names[SGW_CONN_NSTATES] = {
    "reading", "active", "writing", "idle"};

/* The process's: written by the main thread before workers start and
 * after they end, read by workers in between (or guarded as noted). */
static struct {
  sgw_metrics_t *metrics;
  sgw_alog_t *alog;
  const sgw_status_t *status;
  double start_time;
  uv_signal_t usr1;
  int usr1_on, ready_on;
  sgw_metric_t *requests, *duration, *outbound, *outbound_duration;
  sgw_series_t *script_errors[3];
  pthread_mutex_t lock;    /* the route names */
  sgw_obs_route_t *routes;
  unsigned nroutes;
  sgw_obs_route_t *none, *r_metrics, *r_healthz, *r_readyz;
  int started;
  /* Each worker's connections by state, as of its last tick. */
  atomic_uint conns[SGW__MAX_WORKERS][SGW_CONN_NSTATES];
} obs = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- route names ------------------------------------------------------ */

/* Finds or makes the route called label (lock held). */
static sgw_obs_route_t *route_intern(const char *label, size_t len) {
  sgw_obs_route_t *r;
  const char *v[1] = {label};

  for (r = obs.routes; r != NULL; r = r->next)
    if (r->len == len && memcmp(r->label, label, len) == 0)
      return r;
  if (obs.nroutes >= SGW__MAX_ROUTES || (r = calloc(1, sizeof(*r))) == NULL)
    return obs.none;
  if ((r->label = malloc(len + 1)) == NULL) {
    free(r);
    return obs.none;
  }
  memcpy(r->label, label, len);
  r->label[len] = '\0';
  r->len = len;
  r->json = NULL;
  if (strcmp(r->label, "none") != 0) { /* no route: null in the log */
    sgw_buf_t j;
    sgw_buf_init(&j);
    if (sgw_json_string(&j, label, len) < 0) {
      sgw_buf_free(&j);
      sgw_buf_appends(&j, "null"); /* not UTF-8: no name in the log */
    }
    r->json = j.base;
    r->json_len = j.len;
  }
  if (r->json == NULL) {
    r->json = strdup("null");
    r->json_len = 4;
  }
  if (r->json == NULL) {
    free(r->label);
    free(r);
    return obs.none;
  }
  if (obs.duration != NULL)
    r->duration = sgw_metrics_series(obs.duration, v, &len);
  r->next = obs.routes;
  obs.routes = r;
  obs.nroutes++;
  return r;
}

static sgw_obs_route_t *route_named(const char *label) {
  sgw_obs_route_t *r;

  pthread_mutex_lock(&obs.lock);
  r = route_intern(label, strlen(label));
  pthread_mutex_unlock(&obs.lock);
  return r;
}

const sgw_obs_route_t *sgw_obs_route(sgw_route_t *route) {
  char label[512];
  int n;

  if (route->obs != NULL || !obs.started)
    return route->obs;
  n = snprintf(label, sizeof(label), "%s %s", route->method, route->path);
  if (n < 0 || (size_t)n >= sizeof(label))
    n = (int)sizeof(label) - 1; /* a very long path: its start names it */
  pthread_mutex_lock(&obs.lock);
  route->obs = route_intern(label, (size_t)n);
  pthread_mutex_unlock(&obs.lock);
  return route->obs;
}

static void routes_free(void) {
  while (obs.routes != NULL) {
    sgw_obs_route_t *r = obs.routes;
    obs.routes = r->next;
    free(r->label);
    free(r->json);
    free(r);
  }
  obs.nroutes = 0;
  obs.none = obs.r_metrics = obs.r_healthz = obs.r_readyz = NULL;
}

/* ---- the process ------------------------------------------------------ */

static void on_usr1(uv_signal_t *s, int signum) {
  (void)s;
  (void)signum;
  if (obs.alog != NULL)
    sgw_alog_reopen(obs.alog);
}

static int define_builtins(char *err, size_t errlen) {
  static const char *const route[] = {"route"};
  static const char *const route_status[] = {"route", "status"};
  static const char *const kind[] = {"kind"};
  static const char *const target_result[] = {"target", "result"};
  static const char *const target[] = {"target"};
  static const char *const kinds[3] = {"error", "time_budget", "memory"};
  const unsigned nb = sizeof(duration_buckets) / sizeof(*duration_buckets);
  sgw_metrics_t *m = obs.metrics;
  sgw_metric_t *errors;

  obs.requests = sgw_metrics_define(
      m, SGW_METRIC_COUNTER, "signgw_requests_total",
      "Requests answered, by route (\"METHOD /path\" as configured; none "
      "when no route matched) and HTTP status (499: the client went away "
      "first).", route_status, 2, NULL, 0, err, errlen);
  obs.duration = sgw_metrics_define(
      m, SGW_METRIC_HISTOGRAM, "signgw_request_duration_seconds",
      "Time from a request's first byte to its answer, by route.", route, 1,
      duration_buckets, nb, err, errlen);
  errors = sgw_metrics_define(
      m, SGW_METRIC_COUNTER, "signgw_script_errors_total",
      "Requests whose script failed: an error, its time budget or its VM's "
      "memory cap.", kind, 1, NULL, 0, err, errlen);
  obs.outbound = sgw_metrics_define(
      m, SGW_METRIC_COUNTER, "signgw_outbound_requests_total",
      "Calls to services outside (Redis, STS, HTTP upstreams), by target "
      "and result.", target_result, 2, NULL, 0, err, errlen);
  obs.outbound_duration = sgw_metrics_define(
      m, SGW_METRIC_HISTOGRAM, "signgw_outbound_request_duration_seconds",
      "Duration of calls to services outside, by target.", target, 1,
      duration_buckets, nb, err, errlen);
  if (!obs.requests || !obs.duration || !errors || !obs.outbound ||
      !obs.outbound_duration)
    return SGW_ENOMEM;
  for (int i = 0; i < 3; i++)
    if ((obs.script_errors[i] =
             sgw_metrics_series(errors, &kinds[i], NULL)) == NULL)
      return SGW_ENOMEM;
  return 0;
}

int sgw_obs_start(uv_loop_t *loop, const sgw_obs_settings_t *s,
                  const sgw_status_t *status, char *err, size_t errlen) {
  const char *metrics = getenv("SGW_METRICS");
  const char *alog = getenv("SGW_ACCESS_LOG");
  const char *redis = getenv("SGW_REDIS_URL");
  struct timespec ts;
  int on = s->metrics, rc = 0;

  if (metrics != NULL && metrics[0] != '\0') {
    if (strcmp(metrics, "off") != 0 && strcmp(metrics, "on") != 0) {
      snprintf(err, errlen, "SGW_METRICS must be on or off");
      return SGW_EINVAL;
    }
    on = strcmp(metrics, "on") == 0;
  }
  if (alog == NULL || alog[0] == '\0')
    alog = s->access_log;
  obs.started = 1;
  obs.status = status;
  clock_gettime(CLOCK_REALTIME, &ts);
  obs.start_time = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
  if (on && ((rc = sgw_metrics_new(&obs.metrics)) < 0 ||
             (rc = define_builtins(err, errlen)) < 0)) {
    snprintf(err, errlen, "metrics: out of memory");
    goto fail;
  }
  obs.none = route_named("none");
  obs.r_metrics = route_named("GET /metrics");
  obs.r_healthz = route_named("GET /healthz");
  obs.r_readyz = route_named("GET /readyz");
  if (strcmp(alog, "off") != 0 &&
      (rc = sgw_alog_open(alog, &obs.alog, err, errlen)) < 0)
    goto fail;
  if ((rc = uv_signal_init(loop, &obs.usr1)) < 0 ||
      (rc = uv_signal_start(&obs.usr1, on_usr1, SIGUSR1)) < 0) {
    snprintf(err, errlen, "cannot handle SIGUSR1: %s", uv_strerror(rc));
    goto fail;
  }
  obs.usr1_on = 1;
  /* Signals must not keep the main loop alive on their own. */
  uv_unref((uv_handle_t *)&obs.usr1);
  if (redis != NULL && redis[0] != '\0' &&
      (rc = sgw_probe_redis_add("redis", redis, err, errlen)) < 0) {
    char why[256];
    snprintf(why, sizeof(why), "%s", err);
    snprintf(err, errlen, "SGW_REDIS_URL: %s", why);
    goto fail;
  }
  if ((rc = sgw_ready_start(loop)) < 0) {
    snprintf(err, errlen, "readiness checks: %s", uv_strerror(rc));
    goto fail;
  }
  obs.ready_on = 1;
  sgw_log_info("metrics %s; access log %s%s", obs.metrics ? "on" : "off",
               obs.alog ? (strcmp(alog, "-") ? alog : "to stdout") : "off",
               redis && redis[0] ? "; readiness checks Redis" : "");
  return 0;

fail:
  sgw_obs_stop();
  return rc < 0 ? rc : SGW_EINVAL;
}

void sgw_obs_serving(void) { sgw_ready_serving(); }

void sgw_obs_draining(void) { sgw_ready_drain(); }

void sgw_obs_stop(void) {
  sgw_ready_stop();
  obs.ready_on = 0;
  if (obs.usr1_on) {
    uv_close((uv_handle_t *)&obs.usr1, NULL);
    uv_run(obs.usr1.loop, UV_RUN_NOWAIT);
    obs.usr1_on = 0;
  }
  sgw_alog_close(obs.alog);
  obs.alog = NULL;
  routes_free();
  sgw_metrics_free(obs.metrics);
  obs.metrics = NULL;
  obs.started = 0;
  obs.requests = obs.duration = obs.outbound = obs.outbound_duration = NULL;
  memset(obs.script_errors, 0, sizeof(obs.script_errors));
}

sgw_metrics_t *sgw_obs_metrics(void) { return obs.metrics; }

/* ---- a worker ---------------------------------------------------------- */

static void worker_flush(sgw_worker_t *w) {
  sgw_obs_worker_t *o = &w->obs;

  if (o->alog.len == 0 || obs.alog == NULL)
    return;
  sgw_alog_submit(obs.alog, &o->alog);
  /* Room for the next chunk at once, rather than growing to it by
   * doubling (and copying) line by line. */
  sgw_buf_reserve(&o->alog, SGW__ALOG_CHUNK + 4096);
}

static void worker_count_conns(sgw_worker_t *w) {
  unsigned n[SGW_CONN_NSTATES];

  if (w->id < 0 || w->id >= SGW__MAX_WORKERS)
    return;
  sgw_server_conn_states(&w->server, n);
  for (int i = 0; i < SGW_CONN_NSTATES; i++)
    atomic_store_explicit(&obs.conns[w->id][i], n[i], memory_order_relaxed);
}

static void on_tick(uv_timer_t *t) {
  sgw_worker_t *w = t->data;

  worker_flush(w);
  worker_count_conns(w);
}

void sgw_obs_worker_init(sgw_worker_t *w) {
  sgw_obs_worker_t *o = &w->obs;

  sgw_buf_init(&o->alog);
  sgw_buf_init(&o->scratch);
  o->sec = 0;
  if (uv_timer_init(&w->loop, &o->tick) < 0)
    return;
  o->tick.data = w;
  o->ticking = 1;
  uv_timer_start(&o->tick, on_tick, SGW__TICK_MS, SGW__TICK_MS);
  /* The connections keep the loop alive, not this. */
  uv_unref((uv_handle_t *)&o->tick);
}

void sgw_obs_worker_close(sgw_worker_t *w) {
  sgw_obs_worker_t *o = &w->obs;

  worker_flush(w);
  sgw_buf_free(&o->alog);
  sgw_buf_free(&o->scratch);
  if (o->ticking && !uv_is_closing((uv_handle_t *)&o->tick))
    uv_close((uv_handle_t *)&o->tick, NULL);
  o->ticking = 0;
  if (w->id >= 0 && w->id < SGW__MAX_WORKERS)
    for (int i = 0; i < SGW_CONN_NSTATES; i++)
      atomic_store(&obs.conns[w->id][i], 0);
}

/* ---- the access log line ---------------------------------------------- */

/* The line is written through a cursor into room reserved once for all of
 * it: this runs for every request. */
typedef struct line_s {
  sgw_buf_t *b;
  char *p;
} line_t;

#define LIT(l, s) put(l, s, sizeof(s) - 1)

static void put(line_t *l, const char *s, size_t n) {
  memcpy(l->p, s, n);
  l->p += n;
}

static void put_uint(line_t *l, uint64_t v) {
  char d[20];
  int n = 0;

  do
    d[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0)
    *l->p++ = d[--n];
}

/* s as a JSON string (room: 6 * len + 2). Bytes that are not UTF-8
 * become \u00XX (their Latin-1 reading): the line is always valid JSON. */
static void put_json(line_t *l, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  sgw_buf_t *b = l->b;

  int rc;

  b->len = (size_t)(l->p - b->base);
  rc = sgw_json_string(b, s, len); /* on failure b->len is put back */
  l->p = b->base + b->len;
  if (rc == 0)
    return;
  *l->p++ = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      *l->p++ = (char)c;
    } else {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      put(l, e, 6);
    }
  }
  *l->p++ = '"';
}

/* "2026-11-29T08:12:00.123Z", the seconds part kept per worker. */
static void put_time(sgw_obs_worker_t *o, line_t *l) {
  struct timespec ts;
  struct tm tm;
  long ms;

  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec != o->sec) {
    gmtime_r(&ts.tv_sec, &tm);
    strftime(o->stamp, sizeof(o->stamp), "%Y-%m-%dT%H:%M:%S.", &tm);
    o->sec = ts.tv_sec;
  }
  put(l, o->stamp, 20);
  ms = ts.tv_nsec / 1000000;
  *l->p++ = (char)('0' + ms / 100);
  *l->p++ = (char)('0' + ms / 10 % 10);
  *l->p++ = (char)('0' + ms % 10);
  *l->p++ = 'Z';
}

/* The ext parameter of the query, decoded (into o->scratch) and cut to
 * SGW__ALOG_MAX_EXT bytes: the only part of a query the log keeps (the
 * others may carry tokens). NULL when there is none. */
static const char *find_ext(sgw_obs_worker_t *o, sgw_http_req_t *req,
                            size_t *len) {
  size_t qlen, klen, vlen;
  const char *q = sgw_http_req_query(req, &qlen), *k, *v;
  sgw_query_iter_t it;
  int has_value;

  sgw_query_init(&it, q, qlen);
  while (sgw_query_next(&it, &k, &klen, &v, &vlen, &has_value)) {
    if (klen != 3 || memcmp(k, "ext", 3) != 0)
      continue;
    sgw_buf_reset(&o->scratch);
    if (sgw_url_decode(&o->scratch, v, vlen, 1) == 0) {
      v = o->scratch.base ? o->scratch.base : "";
      vlen = o->scratch.len;
    }
    *len = vlen < SGW__ALOG_MAX_EXT ? vlen : SGW__ALOG_MAX_EXT;
    return v;
  }
  return NULL;
}

static void access_line(sgw_worker_t *w, sgw_http_req_t *req,
                        const sgw_obs_note_t *note, int status, size_t bytes,
                        uint64_t ns) {
  sgw_obs_worker_t *o = &w->obs;
  line_t l = {&o->alog, NULL};
  size_t plen, elen = 0, ulen = note ? strlen(note->user) : 0;
  const char *path = sgw_http_req_path(req, &plen);
  const char *method = sgw_http_req_method(req);
  const char *ext = find_ext(o, req, &elen);
  const sgw_obs_route_t *route = note && note->route ? note->route : obs.none;
  char peer[64];
  uint64_t us = ns / 1000;

  sgw_http_req_peer(req, peer, sizeof(peer));
  if (plen > SGW__ALOG_MAX_PATH)
    plen = SGW__ALOG_MAX_PATH;
  /* The fixed text and the numbers (under 300 bytes), the fields as
   * JSON (6 bytes a byte at most, and quotes). */
  if (sgw_buf_reserve(l.b, 512 + sizeof(peer) + 6 * (strlen(method) + plen +
                                                     elen + ulen) +
                               (route ? route->json_len : 4)) < 0)
    return; /* out of memory: this line is lost, the others stay whole */
  l.p = l.b->base + l.b->len;
  LIT(&l, "{\"time\":\"");
  put_time(o, &l);
  LIT(&l, "\",\"request_id\":\"");
  put(&l, sgw_http_req_id(req), 16);
  LIT(&l, "\",\"remote_addr\":\"");
  put(&l, peer, strlen(peer)); /* digits, dots, colons, hex */
  LIT(&l, "\",\"method\":\"");
  put(&l, method, strlen(method)); /* llhttp's name: upper-case letters */
  LIT(&l, "\",\"path\":");
  put_json(&l, path, plen);
  LIT(&l, ",\"query\":{");
  if (ext != NULL) {
    LIT(&l, "\"ext\":");
    put_json(&l, ext, elen);
  }
  LIT(&l, "},\"status\":");
  put_uint(&l, (uint64_t)status);
  LIT(&l, ",\"bytes\":");
  put_uint(&l, bytes);
  LIT(&l, ",\"duration_ms\":");
  put_uint(&l, us / 1000);
  *l.p++ = '.';
  *l.p++ = (char)('0' + us % 1000 / 100);
  *l.p++ = (char)('0' + us % 100 / 10);
  *l.p++ = (char)('0' + us % 10);
  LIT(&l, ",\"route\":");
  if (route != NULL)
    put(&l, route->json, route->json_len);
  else
    LIT(&l, "null");
  LIT(&l, ",\"generation\":");
  put_uint(&l, note ? note->generation : w->vm ? w->vm->generation : 0);
  if (ulen > 0) {
    LIT(&l, ",\"user\":");
    put_json(&l, note->user, ulen);
  }
  LIT(&l, "}\n");
  l.b->len = (size_t)(l.p - l.b->base);
  l.b->base[l.b->len] = '\0';
  if (l.b->len >= SGW__ALOG_CHUNK)
    worker_flush(w);
}

/* ---- requests ---------------------------------------------------------- */

void sgw_obs_request(sgw_worker_t *w, sgw_http_req_t *req,
                     const sgw_obs_note_t *note, int status, size_t bytes) {
  uint64_t t0 = sgw_http_req_start(req), now, ns;
  const sgw_obs_route_t *route;

  if (obs.metrics == NULL && obs.alog == NULL)
    return;
  now = uv_hrtime();
  ns = t0 != 0 && now > t0 ? now - t0 : 0;
  route = note && note->route ? note->route : obs.none;
  if (obs.metrics != NULL && route != NULL && status >= SGW__STATUS_MIN &&
      status <= SGW__STATUS_MAX) {
    sgw_obs_route_t *r = (sgw_obs_route_t *)route;
    _Atomic(sgw_series_t *) *slot = &r->requests[status - SGW__STATUS_MIN];
    sgw_series_t *series = atomic_load_explicit(slot, memory_order_acquire);
    if (series == NULL) {
      char code[4] = {(char)('0' + status / 100), (char)('0' + status / 10 % 10),
                      (char)('0' + status % 10), 0};
      const char *v[2] = {route->label, code};
      size_t len[2] = {route->len, 3};
      if ((series = sgw_metrics_series(obs.requests, v, len)) != NULL)
        atomic_store_explicit(slot, series, memory_order_release);
    }
    sgw_metrics_add(series, 1);
    sgw_metrics_observe(route->duration, (double)ns / 1e9);
  }
  if (obs.alog != NULL)
    access_line(w, req, note, status, bytes, ns);
}

void sgw_obs_script_error(int kind) {
  if (obs.metrics != NULL && kind >= 0 && kind < 3)
    sgw_metrics_add(obs.script_errors[kind], 1);
}

void sgw_obs_outbound(const char *target, const char *result,
                      double seconds) {
  const char *tr[2] = {target, result};

  if (obs.metrics == NULL || target == NULL || result == NULL)
    return;
  sgw_metrics_add(sgw_metrics_series(obs.outbound, tr, NULL), 1);
  sgw_metrics_observe(sgw_metrics_series(obs.outbound_duration, tr, NULL),
                      seconds);
}

/* ---- built-in answers --------------------------------------------------- */

/* What scrapes compute rather than count. */
static int render_process(sgw_buf_t *out) {
  unsigned n[SGW_CONN_NSTATES] = {0};
  char labels[64];
  int rc;

  rc = sgw_metrics_write_head(out, "signgw_build_info",
                              "The running version (always 1).",
                              SGW_METRIC_GAUGE);
  snprintf(labels, sizeof(labels), "version=\"%s\"", SGW_VERSION);
  rc |= sgw_metrics_write_sample(out, "signgw_build_info", labels, 1);
  rc |= sgw_metrics_write_head(out, "signgw_process_start_time_seconds",
                               "Start time of the process since the Unix "
                               "epoch, in seconds.", SGW_METRIC_GAUGE);
  rc |= sgw_metrics_write_sample(out, "signgw_process_start_time_seconds",
                                 NULL, obs.start_time);
  rc |= sgw_metrics_write_head(out, "signgw_generation",
                               "The script generation new requests run on.",
                               SGW_METRIC_GAUGE);
  rc |= sgw_metrics_write_sample(
      out, "signgw_generation", NULL,
      obs.status ? atomic_load(&obs.status->generation) : 0);
  rc |= sgw_metrics_write_head(out, "signgw_reloads_total",
                               "Reloads of the scripts and config, by "
                               "result (failed: the running generation "
                               "stayed).", SGW_METRIC_COUNTER);
  rc |= sgw_metrics_write_sample(
      out, "signgw_reloads_total", "result=\"ok\"",
      obs.status ? atomic_load(&obs.status->reloads) : 0);
  rc |= sgw_metrics_write_sample(
      out, "signgw_reloads_total", "result=\"failed\"",
      obs.status ? atomic_load(&obs.status->failed_reloads) : 0);
  for (int i = 0; i < SGW__MAX_WORKERS; i++)
    for (int k = 0; k < SGW_CONN_NSTATES; k++)
      n[k] += atomic_load_explicit(&obs.conns[i][k], memory_order_relaxed);
  rc |= sgw_metrics_write_head(out, "signgw_connections",
                               "Open client connections by state (reading "
                               "a request, active in a handler, writing an "
                               "answer, idle), as of each worker's last "
                               "second.", SGW_METRIC_GAUGE);
  for (int k = 0; k < SGW_CONN_NSTATES; k++) {
    snprintf(labels, sizeof(labels), "state=\"%s\"", conn_state_names[k]);
    rc |= sgw_metrics_write_sample(out, "signgw_connections", labels, n[k]);
  }
  if (obs.alog != NULL) {
    rc |= sgw_metrics_write_head(out, "signgw_access_log_dropped_total",
                                 "Access log lines lost because the "
                                 "destination could not keep up or failed.",
                                 SGW_METRIC_COUNTER);
    rc |= sgw_metrics_write_sample(out, "signgw_access_log_dropped_total",
                                   NULL, (double)sgw_alog_dropped(obs.alog));
  }
  return rc ? SGW_ENOMEM : 0;
}

enum { B_NONE, B_METRICS, B_HEALTHZ, B_READYZ };

static int builtin_kind(sgw_http_req_t *req) {
  size_t plen;
  const char *path = sgw_http_req_path(req, &plen);
  const char *m = sgw_http_req_method(req);

  if (plen < 7 || plen > 8 || path[0] != '/' ||
      (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0))
    return B_NONE;
  if (plen == 8 && memcmp(path, "/metrics", 8) == 0)
    return B_METRICS;
  if (plen == 8 && memcmp(path, "/healthz", 8) == 0)
    return B_HEALTHZ;
  if (plen == 7 && memcmp(path, "/readyz", 7) == 0)
    return B_READYZ;
  return B_NONE;
}

static int client_allowed(sgw_worker_t *w, sgw_http_req_t *req) {
  char peer[64];
  const sgw_obs_settings_t *s = &w->vm->settings.obs;

  sgw_http_req_peer(req, peer, sizeof(peer));
  return sgw_cidr_match(s->allow, s->nallow, peer);
}

int sgw_obs_builtin(sgw_worker_t *w, sgw_http_req_t *req,
                    sgw_obs_note_t *note) {
  static const char hdrs[] = "Cache-Control: no-store\r\n";
  int kind = builtin_kind(req), status = 200;
  const char *ctype = "application/json";
  sgw_buf_t *out = &w->json;

  if (kind == B_NONE || (kind == B_METRICS && obs.metrics == NULL))
    return 0;
  note->route = kind == B_METRICS   ? obs.r_metrics
                : kind == B_HEALTHZ ? obs.r_healthz
                                    : obs.r_readyz;
  note->generation = w->vm->generation;
  note->user[0] = '\0';
  sgw_buf_reset(out);
  if (kind == B_METRICS) {
    if (!client_allowed(w, req))
      return 403;
    worker_count_conns(w); /* this worker's own count is exact */
    ctype = "text/plain; version=0.0.4; charset=utf-8";
    if (render_process(out) < 0 || sgw_metrics_render(obs.metrics, out) < 0)
      status = 500;
  } else if (kind == B_HEALTHZ) {
    status = sgw_ready_healthz(out);
  } else {
    status = sgw_ready_readyz(out, client_allowed(w, req));
  }
  if (status == 500) {
    sgw_buf_reset(out);
    sgw_buf_appends(out, "{\"error\":\"internal\",\"message\":\"out of "
                         "memory\"}");
    ctype = "application/json";
  }
  sgw_obs_request(w, req, note, status,
                  sgw_http_req_head_only(req) ? 0 : out->len);
  sgw_http_respond(req, status, ctype, hdrs, sizeof(hdrs) - 1,
                   out->base ? out->base : "", out->len);
  return 1;
}
