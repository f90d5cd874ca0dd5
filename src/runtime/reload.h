/* Generations: building the Lua VMs for every worker from the config and
 * scripts, and switching the workers to a new set while they serve.
 *
 * Runs on the main thread. A new generation is built and validated in
 * full before any worker sees it, so a broken script never goes live; the
 * running generation keeps serving and the error is logged once.
 *
 * Each build resolves the config path again (symlink swaps apply) and
 * reads the credentials again (a rotated key file applies). Credentials
 * that cannot be read fail the build like a broken script: the running
 * generation keeps its own.
 *
 * Every reload also reads the TLS listeners' certificates and keys
 * again, whatever becomes of the scripts: a pair that loads serves new
 * connections from then on; one that does not leaves the old pair live
 * and the log says why. The files are watched with the scripts. */
#ifndef SGW_RELOAD_H
#define SGW_RELOAD_H

#include "runtime/cred.h"
#include "runtime/settings.h"
#include "runtime/status.h"
#include "runtime/watch.h"
#include "runtime/worker.h"

#define SGW_RELOAD_MAX_WORKERS 1024

typedef struct sgw_reload_s {
  const char *config_path; /* as given: resolved anew at every build */
  sgw_cred_t *cred;        /* the live generation's (one reference) */
  sgw_worker_t *workers;
  int nworkers;
  sgw_settings_t live;     /* listen addresses and worker count in effect */
  sgw_settings_t config;   /* what the config file said last time */
  int listen_from_config;  /* live.listen is the config's (no -l) */
  sgw_tls_t *tls[SGW_LISTEN_MAX]; /* per live.listen entry; NULL: plain */
  sgw_status_t status;
  sgw_watch_t watch;
  int watching;
  /* The dev bucket, while one runs (runtime/devmode.c): its host:port
   * and name go to every generation (gw.dev), and it checks signatures
   * against the live credentials. */
  struct sgw_devbucket_s *dev;
  char dev_host[80];
  char dev_bucket[72];
} sgw_reload_t;

/* Builds generation `generation` for all workers into vms[] (nworkers
 * entries), with the live listen address and worker count; *file (may be
 * NULL) receives the settings as the config file gives them, and *cred a
 * reference to the credentials the generation signs with (r->cred itself
 * when they have not changed). On failure nothing is left allocated and
 * err holds the message. */
int sgw_reload_build(sgw_reload_t *r, unsigned generation, sgw_vm_t **vms,
                     sgw_settings_t *file, sgw_cred_t **cred, char *err,
                     size_t errlen);

/* Makes `cred` (a reference, from sgw_reload_build) the live one. */
void sgw_reload_set_cred(sgw_reload_t *r, sgw_cred_t *cred);

/* Builds the next generation and hands it to the workers. `why` is for
 * the log ("SIGHUP", or the changed files). Returns 0 if it went live. */
int sgw_reload_run(sgw_reload_t *r, const char *why);

/* Reads the certificate and key of every TLS listener again; `fresh`
 * (may be NULL) is the config just read, whose paths apply when its
 * listen entries are the live ones. Logs what changed or why not. */
void sgw_reload_certs(sgw_reload_t *r, const sgw_settings_t *fresh);

/* Starts polling the script folders of generation `vm`. */
int sgw_reload_watch(sgw_reload_t *r, uv_loop_t *loop, const sgw_vm_t *vm);
void sgw_reload_unwatch(sgw_reload_t *r);

#endif
