/* Storage credentials, loaded once at start-up from the environment.
 *
 * The SecretKey lives only here. Lua sees a credential as an opaque
 * userdata (gw.cos takes it as `cred`), so no script can put the key into
 * a response or a log line. Immutable after loading: workers read it
 * without locks. */
#ifndef SGW_CRED_H
#define SGW_CRED_H

#include <stddef.h>

typedef struct sgw_cred_s {
  char *secret_id;
  char *secret_key;
  char *security_token; /* NULL unless temporary credentials are used */
  int placeholder;      /* 1: built-in development values, not a real key */
  /* The S3 credentials (cred_s3.h), loaded and freed with these; set
   * after a successful sgw_cred_load. NULL in an S3 credential itself. */
  struct sgw_cred_s *s3;
} sgw_cred_t;

/* Reads COS_SECRET_ID and COS_SECRET_KEY (or COS_SECRET_KEY_FILE, a file
 * holding the key) and the optional COS_SECURITY_TOKEN. Without an id and
 * a key, placeholder values are used and cred->placeholder is set. Then
 * the S3 credentials into cred->s3 (sgw_cred_s3_load).
 * Returns 0, or a negative code with a message in `err`. */
int sgw_cred_load(sgw_cred_t *cred, char *err, size_t errlen);
void sgw_cred_free(sgw_cred_t *cred);

#endif
