/* S3 credentials from the environment (see cred_s3.h). */
#include "runtime/cred_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"
#include "signgw/s3.h"

#define SGW__S3_PLACEHOLDER_ID "AKIASIGNGWDEVPLACEHOLDER"
#define SGW__S3_PLACEHOLDER_KEY "signgw-dev-placeholder-s3-secret-not-a-real-key"

int sgw_cred_s3_selected(void) {
  const char *v = getenv("SGW_STORAGE");
  return v != NULL && strcmp(v, "s3") == 0;
}

/* The COS credential's reference; a credential userdata (ctx.s3_cred)
 * holds its own, so the last one out wipes and frees. */
void sgw_cred_s3_free(sgw_cred_t *c) { sgw_cred_unref(c); }

/* Values that would make every signature fail are refused at load. */
static int check_s3(sgw_cred_t *c, const char *key, char *err,
                    size_t errlen) {
  if (c->placeholder ||
      sgw_s3_check_cred(c->secret_id, key, c->security_token) == 0)
    return 0;
  snprintf(err, errlen, "AWS credentials cannot sign: AWS_ACCESS_KEY_ID "
           "must not hold ',' or '/', AWS_SECRET_ACCESS_KEY is at most %d "
           "bytes, AWS_SESSION_TOKEN at most %d", SGW_S3_SECRET_MAX,
           SGW_S3_TOKEN_MAX);
  return SGW_EINVAL;
}

int sgw_cred_s3_load(sgw_cred_t **out, char *err, size_t errlen) {
  static const sgw__cred_env_t env = {
      .id = "AWS_ACCESS_KEY_ID",
      .key = "AWS_SECRET_ACCESS_KEY",
      .token = "AWS_SESSION_TOKEN",
      .id_max = SGW_S3_ID_MAX,
      .key_max = SGW_S3_SECRET_MAX,
      .token_max = SGW_S3_TOKEN_MAX,
      .placeholder_id = SGW__S3_PLACEHOLDER_ID,
      .placeholder_key = SGW__S3_PLACEHOLDER_KEY,
      .token_needs_pair = 1,
      .pair_msg = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their "
                  "*_FILE) must be set together, and AWS_SESSION_TOKEN only "
                  "with them",
      .finish = check_s3,
  };

  return sgw__cred_load_env(&env, out, err, errlen);
}
