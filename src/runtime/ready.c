#include "runtime/ready.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signgw/error.h"
#include "signgw/json.h"

enum { PROBE_PENDING, PROBE_OK, PROBE_FAILING };

struct sgw_probe_s {
  char name[SGW_READY_MAX_NAME + 1];
  sgw_probe_check_cb check;
  sgw_probe_close_cb close;
  void *ud;
  int running;            /* main thread */
  int closing;            /* main thread */
  int state;              /* PROBE_*, under the lock */
  char why[SGW_READY_MAX_WHY + 1]; /* under the lock */
  sgw_probe_t *next;
};

/* Process-wide: there is one /readyz. The lock guards the list and each
 * probe's state and reason, which workers read. */
static struct {
  pthread_mutex_t lock;
  sgw_probe_t *probes;
  uv_loop_t *loop;
  uv_timer_t timer;
  int started;
  atomic_int serving, draining;
} rd = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int name_ok(const char *s) {
  size_t n = strlen(s);

  if (n == 0 || n > SGW_READY_MAX_NAME)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
          s[i] == '-'))
      return 0;
  return 1;
}

static void probe_run(sgw_probe_t *p) {
  if (p->running || p->closing)
    return;
  p->running = 1;
  p->check(p, p->ud);
}

static void on_tick(uv_timer_t *t) {
  sgw_probe_t *p, *next;

  (void)t;
  /* Only the main thread changes the list: no lock to walk it here. */
  for (p = rd.probes; p != NULL; p = next) {
    next = p->next;
    probe_run(p);
  }
}

int sgw_ready_add(const char *name, sgw_probe_check_cb check,
                  sgw_probe_close_cb close, void *ud) {
  sgw_probe_t *p;

  if (name == NULL || !name_ok(name) || check == NULL)
    return SGW_EINVAL;
  for (p = rd.probes; p != NULL; p = p->next)
    if (strcmp(p->name, name) == 0)
      return SGW_EINVAL;
  if ((p = calloc(1, sizeof(*p))) == NULL)
    return SGW_ENOMEM;
  strcpy(p->name, name);
  p->check = check;
  p->close = close;
  p->ud = ud;
  p->state = PROBE_PENDING;
  pthread_mutex_lock(&rd.lock);
  p->next = rd.probes;
  rd.probes = p;
  pthread_mutex_unlock(&rd.lock);
  return 0;
}

int sgw_ready_remove(const char *name) {
  sgw_probe_t **pp, *p;

  pthread_mutex_lock(&rd.lock);
  for (pp = &rd.probes; (p = *pp) != NULL; pp = &p->next)
    if (strcmp(p->name, name) == 0) {
      *pp = p->next;
      break;
    }
  pthread_mutex_unlock(&rd.lock);
  if (p == NULL)
    return SGW_ENOENT;
  p->closing = 1;
  if (p->close != NULL)
    p->close(p->ud);
  free(p);
  return 0;
}

void sgw_probe_done(sgw_probe_t *p, int ok, const char *why) {
  if (p->closing)
    return;
  pthread_mutex_lock(&rd.lock);
  if (!ok && p->state != PROBE_FAILING)
    sgw_log_warn("readiness: %s is not ready: %s", p->name,
                 why ? why : "check failed");
  else if (ok && p->state == PROBE_FAILING)
    sgw_log_info("readiness: %s is ready again", p->name);
  p->state = ok ? PROBE_OK : PROBE_FAILING;
  snprintf(p->why, sizeof(p->why), "%s", ok ? "" : why ? why : "check failed");
  pthread_mutex_unlock(&rd.lock);
  p->running = 0;
}

uv_loop_t *sgw_probe_loop(const sgw_probe_t *p) {
  (void)p;
  return rd.loop;
}

int sgw_ready_start(uv_loop_t *loop) {
  int rc;

  rd.loop = loop;
  if ((rc = uv_timer_init(loop, &rd.timer)) < 0)
    return rc;
  rd.started = 1;
  /* The first check at once; the timer must not keep the loop alive. */
  uv_timer_start(&rd.timer, on_tick, 0, SGW_READY_INTERVAL_MS);
  uv_unref((uv_handle_t *)&rd.timer);
  return 0;
}

void sgw_ready_serving(void) { atomic_store(&rd.serving, 1); }

void sgw_ready_drain(void) { atomic_store(&rd.draining, 1); }

void sgw_ready_stop(void) {
  while (rd.probes != NULL)
    sgw_ready_remove(rd.probes->name);
  if (rd.started) {
    uv_close((uv_handle_t *)&rd.timer, NULL);
    rd.started = 0;
  }
  /* Close callbacks of the timer and of what the probes closed. */
  if (rd.loop != NULL) {
    uv_run(rd.loop, UV_RUN_NOWAIT);
    uv_run(rd.loop, UV_RUN_NOWAIT);
  }
  rd.loop = NULL;
}

int sgw_ready_healthz(sgw_buf_t *out) {
  int draining = atomic_load(&rd.draining);

  sgw_buf_appends(out, draining ? "{\"status\":\"draining\"}"
                                : "{\"status\":\"ok\"}");
  return draining ? 503 : 200;
}

static void append_json(sgw_buf_t *out, const char *s) {
  if (sgw_json_string(out, s, strlen(s)) < 0)
    sgw_buf_appends(out, "\"(not UTF-8)\"");
}

int sgw_ready_readyz(sgw_buf_t *out, int detail) {
  int draining = atomic_load(&rd.draining);
  int serving = atomic_load(&rd.serving);
  int ready = serving && !draining, n = 0;
  const sgw_probe_t *p;

  pthread_mutex_lock(&rd.lock);
  for (p = rd.probes; p != NULL; p = p->next)
    if (p->state != PROBE_OK)
      ready = 0;
  sgw_buf_appendf(out, "{\"ready\":%s,\"status\":\"%s\",\"failing\":[",
                  ready ? "true" : "false",
                  draining ? "draining" : serving ? "serving" : "starting");
  for (p = rd.probes; p != NULL; p = p->next)
    if (p->state != PROBE_OK)
      sgw_buf_appendf(out, "%s\"%s\"", n++ ? "," : "", p->name);
  sgw_buf_appends(out, "],\"checks\":{");
  n = 0;
  for (p = rd.probes; p != NULL; p = p->next) {
    sgw_buf_appendf(out, "%s\"%s\":{\"ok\":%s", n++ ? "," : "", p->name,
                    p->state == PROBE_OK ? "true" : "false");
    if (detail && p->state != PROBE_OK) {
      sgw_buf_appends(out, ",\"error\":");
      append_json(out, p->state == PROBE_PENDING ? "not checked yet"
                                                 : p->why);
    }
    sgw_buf_appendc(out, '}');
  }
  pthread_mutex_unlock(&rd.lock);
  sgw_buf_appends(out, "}}");
  return ready ? 200 : 503;
}
