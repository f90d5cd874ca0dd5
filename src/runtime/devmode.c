#include "runtime/devmode.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "dev/bucket.h"
#include "signgw/error.h"

int sgw_devmode_wanted(const sgw_dev_settings_t *dev, const sgw_cred_t *cred) {
  return dev->mode == SGW_DEV_ON ||
         (dev->mode == SGW_DEV_AUTO && cred->placeholder);
}

int sgw_devmode_start(sgw_reload_t *r) {
  const sgw_dev_settings_t *d = &r->config.dev;
  sgw_devbucket_opts_t o = {0};
  sgw_devbucket_t *b;
  char err[SGW_ERR_MAX], page[96], name[80];
  const sgw_cred_t *c = r->cred;

  if (!sgw_devmode_wanted(d, c))
    return 0;
  o.host = d->host;
  o.port = d->port;
  o.data_dir = d->data_dir;
  o.bucket = d->bucket;
  o.max_size = d->max_size;
  o.limits = &r->config.limits;
  if (sgw_devbucket_start(&o, &b, err, sizeof(err)) < 0) {
    sgw_log_error("%s", err);
    return -1;
  }
  if (sgw_devbucket_set_cred(b, c->secret_id, c->secret_key,
                             c->security_token) < 0) {
    sgw_log_error("dev bucket: out of memory");
    sgw_devbucket_stop(b);
    return -1;
  }
  r->dev = b;
  if (strchr(d->host, ':') != NULL)
    snprintf(r->dev_host, sizeof(r->dev_host), "[%s]:%d", d->host,
             sgw_devbucket_port(b));
  else
    snprintf(r->dev_host, sizeof(r->dev_host), "%s:%d", d->host,
             sgw_devbucket_port(b));
  snprintf(r->dev_bucket, sizeof(r->dev_bucket), "%s", d->bucket);
  /* The gateway's own (first) address, where the upload page is. */
  sgw_listen_name(r->live.listen[0].host, r->live.listen[0].port, name,
                  sizeof(name));
  snprintf(page, sizeof(page), "%s://%s/",
           r->live.listen[0].tls ? "https" : "http", name);
  if (c->placeholder)
    sgw_log_warn("dev mode: no COS credentials, so uploads go to the local "
                 "dev bucket at http://%s (bucket %s, files in %s), "
                 "checked against placeholder credentials; open %s to "
                 "upload from a browser",
                 r->dev_host, d->bucket, sgw_devbucket_dir(b), page);
  else
    sgw_log_warn("dev mode (dev.enabled): uploads go to the local dev "
                 "bucket at http://%s (bucket %s, files in %s) instead of "
                 "COS, checked against the credentials of SecretId %s; "
                 "open %s to upload from a browser",
                 r->dev_host, d->bucket, sgw_devbucket_dir(b), c->secret_id,
                 page);
  return 0;
}

void sgw_devmode_stop(sgw_reload_t *r) {
  sgw_devbucket_stop(r->dev);
  r->dev = NULL;
}
