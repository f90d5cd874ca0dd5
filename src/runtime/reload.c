#include "runtime/reload.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "dev/bucket.h"
#include "runtime/sources.h"
#include "signgw/error.h"

#define SGW__WATCH_INTERVAL_MS 150

/* The credentials as the environment and their files say now; the live
 * ones when nothing changed, so a reload for a script edit shares them. */
static int reload_cred(sgw_reload_t *r, sgw_cred_t **out, char *err,
                       size_t errlen) {
  sgw_cred_t *fresh;
  int rc = sgw_cred_load(&fresh, err, errlen);

  if (rc < 0)
    return rc;
  if (r->cred != NULL && sgw_cred_same(fresh, r->cred)) {
    sgw_cred_unref(fresh);
    fresh = sgw_cred_ref(r->cred);
  }
  *out = fresh;
  return 0;
}

int sgw_reload_build(sgw_reload_t *r, unsigned generation, sgw_vm_t **vms,
                     sgw_settings_t *file, sgw_cred_t **cred, char *err,
                     size_t errlen) {
  sgw_sources_t src = {0};
  int rc, i = 0;

  *cred = NULL;
  if ((rc = reload_cred(r, cred, err, errlen)) < 0)
    return rc;
  /* One read of the files for every worker: they all run the same code. */
  rc = sgw_sources_read_config(&src, r->config_path, err, errlen);
  for (; rc == 0 && i < r->nworkers; i++) {
    sgw_vm_opts_t o = {&src, *cred, &r->status, i, generation,
                       r->dev ? r->dev_host : NULL,
                       r->dev ? r->dev_bucket : NULL};
    if ((rc = sgw_vm_open(&o, &vms[i], err, errlen)) < 0)
      break;
    if (i == 0 && file != NULL)
      *file = vms[0]->settings;
    /* The sockets and threads exist already: these come from the start. */
    memcpy(vms[i]->settings.listen, r->live.listen, sizeof(r->live.listen));
    vms[i]->settings.nlisten = r->live.nlisten;
    vms[i]->settings.workers = r->live.workers;
  }
  sgw_sources_free(&src);
  if (rc < 0) {
    while (i-- > 0)
      sgw_vm_close(vms[i]);
    sgw_cred_unref(*cred);
    *cred = NULL;
  }
  return rc;
}

void sgw_reload_set_cred(sgw_reload_t *r, sgw_cred_t *cred) {
  if (cred == r->cred) {
    sgw_cred_unref(cred); /* the same: drop the extra reference */
    return;
  }
  /* The SecretId is the public half: naming it tells the operator which
   * pair is live. The old pair stays with the VMs still using it. */
  if (r->cred != NULL)
    sgw_log_info("reload: new credentials from the environment (SecretId "
                 "%s)", cred->secret_id);
  sgw_cred_unref(r->cred);
  r->cred = cred;
  /* The dev bucket checks what the new generation signs with. */
  if (r->dev != NULL &&
      sgw_devbucket_set_cred(r->dev, cred->secret_id, cred->secret_key,
                             cred->security_token) < 0)
    sgw_log_error("reload: the dev bucket keeps the old credentials (out "
                  "of memory)");
}

/* Says which settings of the new config cannot apply while running. */
static void warn_fixed_settings(sgw_reload_t *r, const sgw_settings_t *now) {
  char a[80], b[80];

  if (!sgw_settings_same_listen(now, &r->config)) {
    sgw_listen_name(now->listen[0].host, now->listen[0].port, a, sizeof(a));
    sgw_listen_name(r->live.listen[0].host, r->live.listen[0].port, b,
                    sizeof(b));
    sgw_log_warn("reload: listen (%s%s) cannot change while running; still "
                 "%s%s (restart to apply)", a, now->nlisten > 1 ? ", ..." : "",
                 b, r->live.nlisten > 1 ? ", ..." : "");
  }
  if (now->workers != r->config.workers)
    sgw_log_warn("reload: workers cannot change while running; still %d "
                 "(restart to apply)", r->nworkers);
  if (r->dev != NULL && (now->dev.mode != r->config.dev.mode ||
      strcmp(now->dev.host, r->config.dev.host) != 0 ||
      now->dev.port != r->config.dev.port ||
      strcmp(now->dev.data_dir, r->config.dev.data_dir) != 0 ||
      now->dev.max_size != r->config.dev.max_size ||
      strcmp(now->dev.bucket, r->config.dev.bucket) != 0))
    sgw_log_warn("reload: the dev bucket's settings (dev.*, cos.bucket for "
                 "its name) cannot change while running (restart to apply)");
  if (strcmp(now->obs.access_log, r->config.obs.access_log) != 0 ||
      now->obs.metrics != r->config.obs.metrics)
    sgw_log_warn("reload: access_log and metrics on/off are read at start; "
                 "unchanged until a restart");
}

/* The certificate and key files of the TLS listeners, for the watch. */
static void watch_cert_files(sgw_reload_t *r) {
  char *files[2 * SGW_LISTEN_MAX];
  size_t n = 0;

  for (int i = 0; i < r->live.nlisten; i++)
    if (r->live.listen[i].tls) {
      files[n++] = r->live.listen[i].cert;
      files[n++] = r->live.listen[i].key;
    }
  if (sgw_watch_set_files(&r->watch, files, n) < 0)
    sgw_log_warn("reload: out of memory: certificate files not watched");
}

/* Whether the config's listen entries are the live ones (a port 0 in
 * the config is whichever the kernel picked at start). */
static int names_live(const sgw_settings_t *config, const sgw_settings_t *live) {
  if (config->nlisten != live->nlisten)
    return 0;
  for (int i = 0; i < live->nlisten; i++) {
    const sgw_listen_spec_t *c = &config->listen[i], *l = &live->listen[i];
    if (strcmp(c->host, l->host) != 0 || c->tls != l->tls ||
        (c->port != 0 && c->port != l->port))
      return 0;
  }
  return 1;
}

void sgw_reload_certs(sgw_reload_t *r, const sgw_settings_t *fresh) {
  char err[SGW_ERR_MAX], name[80];
  int rc;

  /* New paths from the config apply to the listeners it still names. */
  if (fresh != NULL && r->listen_from_config && names_live(fresh, &r->live))
    for (int i = 0; i < r->live.nlisten; i++) {
      memcpy(r->live.listen[i].cert, fresh->listen[i].cert,
             sizeof(fresh->listen[i].cert));
      memcpy(r->live.listen[i].key, fresh->listen[i].key,
             sizeof(fresh->listen[i].key));
    }
  for (int i = 0; i < r->live.nlisten; i++) {
    const sgw_listen_spec_t *l = &r->live.listen[i];
    if (r->tls[i] == NULL)
      continue;
    sgw_listen_name(l->host, l->port, name, sizeof(name));
    rc = sgw_tls_reload(r->tls[i], l->cert, l->key, err, sizeof(err));
    if (rc > 0)
      sgw_log_info("reload: tls %s: new certificate (%s)", name,
                   sgw_tls_info(r->tls[i]));
    else if (rc < 0)
      sgw_log_error("reload: tls %s keeps its certificate (%s): %s", name,
                    sgw_tls_info(r->tls[i]), err);
  }
  if (r->watching)
    watch_cert_files(r);
}

int sgw_reload_run(sgw_reload_t *r, const char *why) {
  unsigned gen = atomic_load(&r->status.generation) + 1;
  sgw_vm_t *vms[SGW_RELOAD_MAX_WORKERS];
  sgw_settings_t fresh;
  sgw_cred_t *cred;
  char err[SGW_ERR_MAX];

  if (sgw_reload_build(r, gen, vms, &fresh, &cred, err, sizeof(err)) < 0) {
    sgw_reload_certs(r, NULL);
    atomic_fetch_add(&r->status.failed_reloads, 1);
    sgw_log_error("reload failed (generation %u stays): %s", gen - 1, err);
    return -1;
  }
  sgw_reload_certs(r, &fresh);
  warn_fixed_settings(r, &fresh);
  r->config = fresh;
  sgw_reload_set_cred(r, cred);
  for (int i = 0; i < r->nworkers; i++)
    sgw_worker_adopt(&r->workers[i], vms[i]);
  atomic_store(&r->status.generation, gen);
  atomic_fetch_add(&r->status.reloads, 1);
  sgw_log_info("reload: generation %u live (%s)", gen, why);
  if (r->watching)
    sgw_watch_set_roots(&r->watch, vms[0]->dirs, vms[0]->ndirs);
  return 0;
}

static void on_change(sgw_watch_t *w, const char *changed) {
  sgw_reload_t *r = w->data;
  char why[600];

  snprintf(why, sizeof(why), "changed: %s", changed);
  sgw_reload_run(r, why);
}

int sgw_reload_watch(sgw_reload_t *r, uv_loop_t *loop, const sgw_vm_t *vm) {
  int rc = sgw_watch_start(&r->watch, loop, r->config_path, vm->dirs,
                           vm->ndirs, SGW__WATCH_INTERVAL_MS, on_change);

  r->watch.data = r;
  r->watching = rc == 0;
  if (r->watching)
    watch_cert_files(r);
  return rc;
}

void sgw_reload_unwatch(sgw_reload_t *r) {
  if (r->watching)
    sgw_watch_stop(&r->watch);
  r->watching = 0;
}
