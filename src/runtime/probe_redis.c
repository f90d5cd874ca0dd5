#include "runtime/probe_redis.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/redis.h"
#include "runtime/ready.h"
#include "signgw/error.h"

/* Below the check interval, so one check ends before the next is due. */
#define SGW__PROBE_TIMEOUT_MS 800

typedef struct probe_redis_s {
  char *url;
  sgw_redis_pool_t *pool;   /* made on the first check, on the probe loop */
  sgw_probe_t *probe;       /* while a check runs */
} probe_redis_t;

static void on_pong(void *data, int err, const char *errtext,
                    redisReply *reply) {
  probe_redis_t *r = data;
  sgw_probe_t *p = r->probe;
  char why[SGW_READY_MAX_WHY];

  r->probe = NULL;
  if (err < 0) {
    snprintf(why, sizeof(why), "%s", errtext ? errtext : sgw_strerror(err));
    sgw_probe_done(p, 0, why);
  } else if (reply->type == REDIS_REPLY_ERROR) {
    snprintf(why, sizeof(why), "PING answered %.*s", (int)reply->len,
             reply->str);
    sgw_probe_done(p, 0, why);
  } else {
    sgw_probe_done(p, 1, NULL);
  }
}

static void check(sgw_probe_t *p, void *ud) {
  probe_redis_t *r = ud;
  static const char *const ping[] = {"PING"};
  char err[SGW_READY_MAX_WHY];
  sgw_redis_opts_t o = {.connections = 1,
                        .connect_timeout_ms = SGW__PROBE_TIMEOUT_MS,
                        .command_timeout_ms = SGW__PROBE_TIMEOUT_MS,
                        .backoff_min_ms = 100,
                        .backoff_max_ms = SGW_READY_INTERVAL_MS};

  if (r->pool == NULL &&
      sgw_redis_pool_open(sgw_probe_loop(p), r->url, &o, &r->pool, err,
                          sizeof(err)) < 0) {
    sgw_probe_done(p, 0, err);
    return;
  }
  r->probe = p;
  if (sgw_redis_call(r->pool, 1, ping, NULL, 0, on_pong, r, NULL) < 0) {
    r->probe = NULL;
    snprintf(err, sizeof(err), "%s", sgw_redis_pool_error(r->pool));
    sgw_probe_done(p, 0, err[0] ? err : "cannot send PING");
  }
}

static void close_probe(void *ud) {
  probe_redis_t *r = ud;

  /* Fails a PING in flight with SGW_ECANCELED: sgw_probe_done ignores it
   * while the probe closes. */
  if (r->pool != NULL)
    sgw_redis_pool_close(r->pool);
  memset(r->url, 0, strlen(r->url)); /* it may hold a password */
  free(r->url);
  free(r);
}

int sgw_probe_redis_add(const char *name, const char *url, char *err,
                        size_t errlen) {
  sgw_redis_url_t parsed;
  probe_redis_t *r;
  int rc;

  if ((rc = sgw_redis_url_parse(url, &parsed, err, errlen)) < 0)
    return rc;
  if ((r = calloc(1, sizeof(*r))) == NULL || (r->url = strdup(url)) == NULL) {
    free(r);
    snprintf(err, errlen, "out of memory");
    return SGW_ENOMEM;
  }
  if ((rc = sgw_ready_add(name, check, close_probe, r)) < 0) {
    snprintf(err, errlen, "cannot register readiness probe %s", name);
    free(r->url);
    free(r);
  }
  return rc;
}
