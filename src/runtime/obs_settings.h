/* What the config says about metrics, the access log and health checks:
 *
 *   metrics    = { allow = { "127.0.0.0/8", "::1" } },  -- or false: off
 *   access_log = "-",            -- stdout, a file path, or "off" (default)
 *   health     = { drain_delay_ms = 0 },
 *
 * metrics.allow (CIDR blocks, a bare address is one host; default
 * loopback) applies to each generation's requests; whether metrics are on
 * and where the access log goes are taken at start (the environment's
 * SGW_METRICS=off and SGW_ACCESS_LOG=-|PATH|off win over the config).
 * health.drain_delay_ms is how long SIGTERM keeps serving, with /healthz
 * answering 503, before the listener closes. */
#ifndef SGW_OBS_SETTINGS_H
#define SGW_OBS_SETTINGS_H

#include <stddef.h>

#include "runtime/cidr.h"

struct lua_State;

#define SGW_OBS_MAX_ALLOW 32
#define SGW_OBS_MAX_PATH 1024

typedef struct sgw_obs_settings_s {
  int metrics;                         /* 0: off */
  sgw_cidr_t allow[SGW_OBS_MAX_ALLOW]; /* who may GET /metrics */
  unsigned nallow;
  char access_log[SGW_OBS_MAX_PATH];   /* "-", "off" or a path */
  unsigned drain_delay_ms;
} sgw_obs_settings_t;

/* The defaults: metrics on for loopback clients, no access log,
 * no drain delay. */
void sgw_obs_settings_default(sgw_obs_settings_t *s);

/* Reads metrics, access_log and health from the config table at `cfg`
 * into s (defaults for what is absent). Returns 0, or SGW_EINVAL with
 * "config: ..." in err. */
int sgw_obs_settings_read(struct lua_State *L, int cfg, sgw_obs_settings_t *s,
                          char *err, size_t errlen);

#endif
