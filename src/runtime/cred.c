#include "runtime/cred.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cred_s3.h"
#include "signgw/error.h"

#define SGW__PLACEHOLDER_ID "AKIDsigngwDEVPLACEHOLDERnotARealKey"
#define SGW__PLACEHOLDER_KEY "signgw-dev-placeholder-secret-not-a-real-key"
#define SGW__MAX_SECRET 4096

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : NULL;
}

/* Reads a small secret file, dropping one trailing newline. The message
 * names the file, never its contents. */
static int read_secret_file(const char *path, char **out, char *err,
                            size_t errlen) {
  char buf[SGW__MAX_SECRET + 2];
  FILE *f = fopen(path, "r");
  size_t n;

  if (f == NULL) {
    snprintf(err, errlen, "cannot read COS_SECRET_KEY_FILE %s: %s", path,
             strerror(errno));
    return SGW_EIO;
  }
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  if (n > SGW__MAX_SECRET) {
    snprintf(err, errlen, "COS_SECRET_KEY_FILE %s is too large", path);
    return SGW_ERANGE;
  }
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  buf[n] = '\0';
  if (n == 0 || memchr(buf, '\0', n) != NULL) {
    snprintf(err, errlen, "COS_SECRET_KEY_FILE %s holds no usable key", path);
    return SGW_EINVAL;
  }
  *out = strdup(buf);
  memset(buf, 0, sizeof(buf));
  return *out ? 0 : SGW_ENOMEM;
}

static int dup_or_fail(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst ? 0 : SGW_ENOMEM;
}

int sgw_cred_load(sgw_cred_t *cred, char *err, size_t errlen) {
  const char *id = env_nonempty("COS_SECRET_ID");
  const char *key = env_nonempty("COS_SECRET_KEY");
  const char *key_file = env_nonempty("COS_SECRET_KEY_FILE");
  int rc;

  memset(cred, 0, sizeof(*cred));
  if (key != NULL && key_file != NULL) {
    snprintf(err, errlen, "set COS_SECRET_KEY or COS_SECRET_KEY_FILE, not both");
    return SGW_EINVAL;
  }
  if (id == NULL && key == NULL && key_file == NULL) {
    cred->placeholder = 1;
    id = SGW__PLACEHOLDER_ID;
    key = SGW__PLACEHOLDER_KEY;
  } else if (id == NULL || (key == NULL && key_file == NULL)) {
    snprintf(err, errlen, "COS_SECRET_ID and COS_SECRET_KEY (or "
             "COS_SECRET_KEY_FILE) must be set together");
    return SGW_EINVAL;
  }
  if ((rc = dup_or_fail(&cred->secret_id, id)) < 0 ||
      (rc = dup_or_fail(&cred->security_token,
                        env_nonempty("COS_SECURITY_TOKEN"))) < 0)
    goto fail;
  if (key_file != NULL)
    rc = read_secret_file(key_file, &cred->secret_key, err, errlen);
  else
    rc = dup_or_fail(&cred->secret_key, key);
  if (rc < 0 || (rc = sgw_cred_s3_load(&cred->s3, err, errlen)) < 0)
    goto fail;
  return 0;

fail:
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory loading credentials");
  sgw_cred_free(cred);
  return rc;
}

void sgw_cred_free(sgw_cred_t *cred) {
  if (cred->secret_key != NULL) {
    memset(cred->secret_key, 0, strlen(cred->secret_key));
    free(cred->secret_key);
  }
  free(cred->secret_id);
  free(cred->security_token);
  sgw_cred_s3_free(cred->s3);
  memset(cred, 0, sizeof(*cred));
}
