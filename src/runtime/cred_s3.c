/* S3 credentials from the environment (see cred_s3.h). */
#include "runtime/cred_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"
#include "signgw/s3.h"

#define SGW__S3_PLACEHOLDER_ID "AKIASIGNGWDEVPLACEHOLDER"
#define SGW__S3_PLACEHOLDER_KEY "signgw-dev-placeholder-s3-secret-not-a-real-key"

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : NULL;
}

int sgw_cred_s3_selected(void) {
  const char *v = getenv("SGW_STORAGE");
  return v != NULL && strcmp(v, "s3") == 0;
}

int sgw_cred_s3_load(sgw_cred_t **out, char *err, size_t errlen) {
  const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
  const char *key = env_nonempty("AWS_SECRET_ACCESS_KEY");
  const char *token = env_nonempty("AWS_SESSION_TOKEN");
  sgw_cred_t *c;

  *out = NULL;
  if ((id == NULL) != (key == NULL) || (token != NULL && id == NULL)) {
    snprintf(err, errlen, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must "
             "be set together (and AWS_SESSION_TOKEN only with them)");
    return SGW_EINVAL;
  }
  if (id != NULL && sgw_s3_check_cred(id, key, token) < 0) {
    snprintf(err, errlen, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or "
             "AWS_SESSION_TOKEN cannot sign: the id is visible ASCII "
             "without ',' or '/', the secret 1..%d bytes, the token visible "
             "ASCII", SGW_S3_SECRET_MAX);
    return SGW_EINVAL;
  }
  if ((c = calloc(1, sizeof(*c))) == NULL)
    goto nomem;
  if (id == NULL) {
    c->placeholder = 1;
    id = SGW__S3_PLACEHOLDER_ID;
    key = SGW__S3_PLACEHOLDER_KEY;
  }
  if ((c->secret_id = strdup(id)) == NULL ||
      (c->secret_key = strdup(key)) == NULL ||
      (token != NULL && (c->security_token = strdup(token)) == NULL)) {
    sgw_cred_s3_free(c);
    goto nomem;
  }
  *out = c;
  return 0;

nomem:
  snprintf(err, errlen, "out of memory loading credentials");
  return SGW_ENOMEM;
}

void sgw_cred_s3_free(sgw_cred_t *cred) {
  if (cred == NULL)
    return;
  sgw_cred_free(cred);
  free(cred);
}
