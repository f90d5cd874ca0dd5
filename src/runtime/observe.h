/* Seeing the gateway run: what every request adds to the metrics and the
 * access log, the answers to GET /metrics, /healthz and /readyz (made in
 * C, no Lua), and the process-wide state behind them.
 *
 * Per request, on the worker's thread and without a lock: one count in
 * signgw_requests_total{route,status}, one observation in
 * signgw_request_duration_seconds{route} (both in the thread's own
 * shard, see metrics.h) and one JSON line appended to the worker's
 * buffer, which goes to the access log's writer thread (alog.h) when it
 * is large or once a second. Metrics off (SGW_METRICS=off or
 * `metrics = false`) and access log off cost nothing per request.
 *
 * Ownership: the process-wide part is started by sgw_obs_start and
 * stopped by sgw_obs_stop (main thread, after every worker ended); a
 * worker's part (sgw_obs_worker_t, inside sgw_worker_t) lives from
 * sgw_obs_worker_init to sgw_obs_worker_close. Everything below works
 * (doing nothing) when sgw_obs_start was never called, as in tests that
 * drive a worker directly. */
#ifndef SGW_OBSERVE_H
#define SGW_OBSERVE_H

#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "runtime/metrics.h"
#include "runtime/obs_settings.h"
#include "server/http.h"
#include "signgw/buf.h"

struct sgw_worker_s;
struct sgw_status_s;
struct sgw_route_s;

#define SGW_OBS_USER_MAX 64

/* A route as the metrics and the access log name it ("GET /put-sign"):
 * made once per name for the whole process and never freed, so that a
 * request may hold it while its generation goes away. */
typedef struct sgw_obs_route_s sgw_obs_route_t;

/* What the runtime knows of a request when it answers it. */
typedef struct sgw_obs_note_s {
  const sgw_obs_route_t *route;   /* NULL: no route matched */
  unsigned generation;            /* of the code that answered */
  char user[SGW_OBS_USER_MAX + 1]; /* ctx.user as text; "" when none */
} sgw_obs_note_t;

/* A worker's part, inside sgw_worker_t; the worker's thread only. */
typedef struct sgw_obs_worker_s {
  sgw_buf_t alog;       /* access log lines not handed over yet */
  sgw_buf_t scratch;
  uv_timer_t tick;      /* each second: hand lines over, count connections */
  int ticking;
  time_t sec;           /* the second `stamp` is for */
  char stamp[24];       /* "2026-11-29T08:12:00." */
} sgw_obs_worker_t;

/* Script errors, by kind (signgw_script_errors_total{kind}). */
enum { SGW_OBS_SCRIPT_ERROR, SGW_OBS_SCRIPT_TIME, SGW_OBS_SCRIPT_MEMORY };

/* ---- the process (main thread) ------------------------------------- */

/* Starts the metrics registry (unless off), the access log's writer
 * (unless off), SIGUSR1 on `loop` (reopens the access log file) and the
 * readiness checks (with a Redis probe when SGW_REDIS_URL is set). `s` is
 * what the config said at start; the environment (SGW_METRICS,
 * SGW_ACCESS_LOG) wins over it. `status` is read at every scrape. Returns
 * 0, or a negative code with the reason in err (then nothing is left
 * started). */
int sgw_obs_start(uv_loop_t *loop, const sgw_obs_settings_t *s,
                  const struct sgw_status_s *status, char *err,
                  size_t errlen);
/* The workers serve the first generation: /readyz may say ready. */
void sgw_obs_serving(void);
/* SIGTERM: /healthz and /readyz answer 503 from now on. */
void sgw_obs_draining(void);
/* After every worker ended: the last access log lines are written, the
 * writer and the probes stop, the registry is freed. */
void sgw_obs_stop(void);

/* The metrics registry, or NULL when metrics are off (gw.metrics). */
sgw_metrics_t *sgw_obs_metrics(void);

/* ---- a worker (its thread) ----------------------------------------- */

void sgw_obs_worker_init(struct sgw_worker_s *w);
/* Hands the last lines over and closes the timer (the loop must run
 * once more for its close callback). */
void sgw_obs_worker_close(struct sgw_worker_s *w);

/* ---- requests (the worker's thread) --------------------------------- */

/* The name of route r, made on first use and kept in r. */
const sgw_obs_route_t *sgw_obs_route(struct sgw_route_s *r);

/* Answers GET/HEAD /metrics, /healthz and /readyz. Returns 1 when it
 * answered, 0 when the request is not one of them (or /metrics is off),
 * or 403 when /metrics is asked by a client metrics.allow does not
 * admit: the caller answers that (with *note filled in). */
int sgw_obs_builtin(struct sgw_worker_s *w, sgw_http_req_t *req,
                    sgw_obs_note_t *note);

/* Counts and logs one request, just before its answer (`bytes` of body)
 * is handed to the server; status 499 says the client went away first.
 * `note` may be NULL (no route, current generation). */
void sgw_obs_request(struct sgw_worker_s *w, sgw_http_req_t *req,
                     const sgw_obs_note_t *note, int status, size_t bytes);

/* Counts one script failure of `kind` (SGW_OBS_SCRIPT_*). */
void sgw_obs_script_error(int kind);

/* ---- for outbound primitives (gw.http, gw.redis, STS ...) ----------- */

/* Records one outbound call: signgw_outbound_requests_total{target,result}
 * and signgw_outbound_request_duration_seconds{target}. Call it on the
 * thread that made the call (a worker's), once per call when it ends.
 * `target` is a short, bounded name for what was called ("redis",
 * "sts", "cos", a configured upstream name; never a URL with a query or
 * anything per request); `result` a short outcome: "ok", "error",
 * "timeout", "refused", or an HTTP status class such as "2xx". No lock
 * after the first call with the same target and result on a thread. */
void sgw_obs_outbound(const char *target, const char *result,
                      double seconds);

#endif
