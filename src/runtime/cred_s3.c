/* S3 credentials from the environment (see cred_s3.h). */
#include "runtime/cred_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signgw/error.h"
#include "signgw/s3.h"

#define SGW__S3_PLACEHOLDER_ID "AKIASIGNGWDEVPLACEHOLDER"
#define SGW__S3_PLACEHOLDER_KEY "signgw-dev-placeholder-s3-secret-not-a-real-key"

int sgw_cred_s3_selected(void) {
  const char *v = getenv("SGW_STORAGE");
  return v != NULL && strcmp(v, "s3") == 0;
}

static void wipe_free(char *s) {
  if (s != NULL) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

/* The COS credential's reference; a credential userdata (ctx.s3_cred)
 * holds its own, so the last one out wipes and frees. */
void sgw_cred_s3_free(sgw_cred_t *c) { sgw_cred_unref(c); }

int sgw_cred_s3_load(sgw_cred_t **out, char *err, size_t errlen) {
  sgw_cred_t *c = calloc(1, sizeof(*c));
  char *key = NULL;
  int rc = SGW_ENOMEM;

  *out = NULL;
  if (c == NULL)
    goto fail;
  atomic_init(&c->refs, 1);
  if ((rc = sgw__cred_read_value("AWS_ACCESS_KEY_ID", SGW_S3_ID_MAX,
                                 &c->secret_id, err, errlen)) < 0 ||
      (rc = sgw__cred_read_value("AWS_SECRET_ACCESS_KEY", SGW_S3_SECRET_MAX,
                                 &key, err, errlen)) < 0 ||
      (rc = sgw__cred_read_value("AWS_SESSION_TOKEN", SGW_S3_TOKEN_MAX,
                                 &c->security_token, err, errlen)) < 0)
    goto fail;
  if (c->secret_id == NULL && key == NULL && c->security_token == NULL) {
    c->placeholder = 1;
    c->secret_id = strdup(SGW__S3_PLACEHOLDER_ID);
    key = strdup(SGW__S3_PLACEHOLDER_KEY);
    if (c->secret_id == NULL || key == NULL) {
      rc = SGW_ENOMEM;
      goto fail;
    }
  } else if (c->secret_id == NULL || key == NULL) {
    snprintf(err, errlen, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
             "their *_FILE) must be set together, and AWS_SESSION_TOKEN "
             "only with them");
    rc = SGW_EINVAL;
    goto fail;
  } else if (sgw_s3_check_cred(c->secret_id, key, c->security_token) < 0) {
    snprintf(err, errlen, "AWS credentials cannot sign: AWS_ACCESS_KEY_ID "
             "must not hold ',' or '/', AWS_SECRET_ACCESS_KEY is at most %d "
             "bytes, AWS_SESSION_TOKEN at most %d", SGW_S3_SECRET_MAX,
             SGW_S3_TOKEN_MAX);
    rc = SGW_EINVAL;
    goto fail;
  }
  /* Registered before anything can use it, and only then owned by c. */
  if (sgw_log_add_secret(key) < 0) {
    rc = SGW_ENOMEM;
    goto fail;
  }
  c->secret_key = key;
  *out = c;
  return 0;

fail:
  wipe_free(key);
  sgw_cred_s3_free(c);
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory loading credentials");
  return rc;
}

static int same_string(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int sgw_cred_s3_same(const sgw_cred_t *a, const sgw_cred_t *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return same_string(a->secret_id, b->secret_id) &&
         same_string(a->secret_key, b->secret_key) &&
         same_string(a->security_token, b->security_token) &&
         a->placeholder == b->placeholder;
}
