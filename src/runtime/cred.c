#include "runtime/cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/log.h"
#include "runtime/cred_s3.h"
#include "signgw/error.h"

#define SGW__PLACEHOLDER_ID "AKIDsigngwDEVPLACEHOLDERnotARealKey"
#define SGW__PLACEHOLDER_KEY "signgw-dev-placeholder-secret-not-a-real-key"
#define SGW__MAX_SECRET 4096 /* bytes of an id or key */
#define SGW__MAX_TOKEN 16384 /* temporary tokens are long */

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : NULL;
}

/* Ids, keys and tokens go into headers and JSON: visible ASCII only. */
static int value_ok(const char *s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
      return 0;
  return 1;
}

static void wipe_free(char *s) {
  if (s != NULL) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

/* One value: from variable `name`, or from the file `name`_FILE names
 * (one trailing line end dropped). *out stays NULL when neither is set.
 * Messages name the variable and the file, never what the file holds. */
static int read_value(const char *name, size_t max, char **out, char *err,
                      size_t errlen) {
  char file_var[64], msg[SGW_ERR_MAX];
  const char *v, *file;
  char *text;
  size_t n;
  int rc;

  snprintf(file_var, sizeof(file_var), "%s_FILE", name);
  v = env_nonempty(name);
  file = env_nonempty(file_var);
  *out = NULL;
  if (v != NULL && file != NULL) {
    snprintf(err, errlen, "set %s or %s, not both", name, file_var);
    return SGW_EINVAL;
  }
  if (v != NULL) {
    if (!value_ok(v, strlen(v))) {
      snprintf(err, errlen, "%s must be visible ASCII without spaces", name);
      return SGW_EINVAL;
    }
    *out = strdup(v);
    return *out ? 0 : SGW_ENOMEM;
  }
  if (file == NULL)
    return 0;
  if ((rc = sgw_file_read(file, max + 2, &text, &n, msg, sizeof(msg))) < 0) {
    snprintf(err, errlen, "%s: %s", file_var, msg);
    return rc == SGW_ENOMEM ? rc : SGW_EIO;
  }
  if (n > 0 && text[n - 1] == '\n')
    text[--n] = '\0';
  if (n > 0 && text[n - 1] == '\r')
    text[--n] = '\0';
  if (n > max || !value_ok(text, n)) {
    snprintf(err, errlen, "%s %s holds no usable value (one line of "
             "visible ASCII expected)", file_var, file);
    wipe_free(text);
    return SGW_EINVAL;
  }
  *out = text;
  return 0;
}

static void cred_free(sgw_cred_t *c) {
  if (c->secret_key != NULL) {
    if (!c->temporary)
      sgw_log_remove_secret(c->secret_key);
    wipe_free(c->secret_key);
  }
  free(c->secret_id);
  free(c->security_token);
  sgw_cred_s3_free(c->s3);
  free(c);
}

int sgw__cred_load_env(const sgw__cred_env_t *env, sgw_cred_t **out,
                       char *err, size_t errlen) {
  sgw_cred_t *c = calloc(1, sizeof(*c));
  char *key = NULL;
  int rc;

  *out = NULL;
  if (c == NULL) {
    snprintf(err, errlen, "out of memory loading credentials");
    return SGW_ENOMEM;
  }
  atomic_init(&c->refs, 1);
  if ((rc = read_value(env->id, env->id_max, &c->secret_id, err,
                       errlen)) < 0 ||
      (rc = read_value(env->key, env->key_max, &key, err, errlen)) < 0 ||
      (rc = read_value(env->token, env->token_max, &c->security_token, err,
                       errlen)) < 0)
    goto fail;
  if (c->secret_id == NULL && key == NULL &&
      (c->security_token == NULL || !env->token_needs_pair)) {
    c->placeholder = 1;
    c->secret_id = strdup(env->placeholder_id);
    key = strdup(env->placeholder_key);
    if (c->secret_id == NULL || key == NULL) {
      rc = SGW_ENOMEM;
      goto fail;
    }
  } else if (c->secret_id == NULL || key == NULL) {
    snprintf(err, errlen, "%s", env->pair_msg);
    rc = SGW_EINVAL;
    goto fail;
  }
  if (env->finish != NULL && (rc = env->finish(c, key, err, errlen)) < 0)
    goto fail;
  /* Registered before anything can use it, and only then owned by c, so
   * cred_free removes exactly what was added. */
  if (sgw_log_add_secret(key) < 0) {
    rc = SGW_ENOMEM;
    goto fail;
  }
  c->secret_key = key;
  *out = c;
  return 0;

fail:
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory loading credentials");
  wipe_free(key);
  cred_free(c);
  return rc;
}

/* The COS credential also holds the S3 one. */
static int load_s3(sgw_cred_t *c, const char *key, char *err, size_t errlen) {
  (void)key;
  return sgw_cred_s3_load(&c->s3, err, errlen);
}

int sgw_cred_load(sgw_cred_t **out, char *err, size_t errlen) {
  static const sgw__cred_env_t env = {
      .id = "COS_SECRET_ID",
      .key = "COS_SECRET_KEY",
      .token = "COS_SECURITY_TOKEN",
      .id_max = SGW__MAX_SECRET,
      .key_max = SGW__MAX_SECRET,
      .token_max = SGW__MAX_TOKEN,
      .placeholder_id = SGW__PLACEHOLDER_ID,
      .placeholder_key = SGW__PLACEHOLDER_KEY,
      .pair_msg = "COS_SECRET_ID (or COS_SECRET_ID_FILE) and COS_SECRET_KEY "
                  "(or COS_SECRET_KEY_FILE) must be set together",
      .finish = load_s3,
  };

  return sgw__cred_load_env(&env, out, err, errlen);
}

int sgw_cred_temporary(const char *id, size_t id_len, const char *key,
                       size_t key_len, const char *token, size_t token_len,
                       int64_t expires, sgw_cred_t **out) {
  sgw_cred_t *c;

  *out = NULL;
  if (id_len == 0 || key_len == 0 || token_len == 0 ||
      id_len > SGW__MAX_SECRET || key_len > SGW__MAX_SECRET ||
      token_len > SGW__MAX_TOKEN || !value_ok(id, id_len) ||
      !value_ok(key, key_len) || !value_ok(token, token_len))
    return SGW_EINVAL;
  if ((c = calloc(1, sizeof(*c))) == NULL)
    return SGW_ENOMEM;
  atomic_init(&c->refs, 1);
  c->temporary = 1;
  c->expires = expires;
  c->secret_id = strndup(id, id_len);
  c->secret_key = strndup(key, key_len);
  c->security_token = strndup(token, token_len);
  if (c->secret_id == NULL || c->secret_key == NULL ||
      c->security_token == NULL) {
    cred_free(c);
    return SGW_ENOMEM;
  }
  *out = c;
  return 0;
}

static int same_string(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int sgw_cred_same(const sgw_cred_t *a, const sgw_cred_t *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return same_string(a->secret_id, b->secret_id) &&
         same_string(a->secret_key, b->secret_key) &&
         same_string(a->security_token, b->security_token) &&
         a->placeholder == b->placeholder && sgw_cred_same(a->s3, b->s3);
}

sgw_cred_t *sgw_cred_ref(sgw_cred_t *cred) {
  atomic_fetch_add(&cred->refs, 1);
  return cred;
}

void sgw_cred_unref(sgw_cred_t *cred) {
  if (cred != NULL && atomic_fetch_sub(&cred->refs, 1) == 1)
    cred_free(cred);
}
