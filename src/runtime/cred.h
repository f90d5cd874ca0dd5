/* Storage credentials, loaded from the environment at start-up and again
 * on every reload, so a rotated key file goes live without a restart.
 *
 * The SecretKey lives only here. Lua sees a credential as an opaque
 * userdata (gw.cos takes it as `cred`), so no script can put the key into
 * a response or a log line.
 *
 * Ownership: a credential is immutable once loaded and reference counted.
 * sgw_cred_load gives the caller one reference; each VM built with it
 * takes its own (sgw_cred_ref) and drops it when it closes, so a retired
 * generation signs with its own credentials until its last request ends,
 * while the new generation already uses the new ones. The last
 * sgw_cred_unref wipes the key. Workers read a credential without locks;
 * the count is atomic because VMs close on worker threads. */
#ifndef SGW_CRED_H
#define SGW_CRED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sgw_cred_s {
  char *secret_id;
  char *secret_key;
  char *security_token; /* NULL unless temporary credentials are used */
  int placeholder;      /* 1: built-in development values, not a real key */
  int temporary;        /* 1: issued by STS, see sgw_cred_temporary */
  int64_t expires;      /* unix time it stops working; 0: never */
  atomic_uint refs;
  /* The S3 credentials (cred_s3.h), loaded, compared and freed with these;
   * set in every credential sgw_cred_load gives, NULL in an S3 one. */
  struct sgw_cred_s *s3;
} sgw_cred_t;

/* Reads the credentials: each of COS_SECRET_ID, COS_SECRET_KEY and
 * COS_SECURITY_TOKEN (optional) from the variable itself or from the file
 * its *_FILE variable names (not both). Without an id and a key,
 * placeholder values are used and placeholder is set. The key is
 * registered with the log's redaction. Then the S3 credentials, into
 * ->s3 (sgw_cred_s3_load). On success *out holds a new
 * credential with one reference. Returns 0, or a negative code with a
 * message in `err` that names variables and files, never a value. */
int sgw_cred_load(sgw_cred_t **out, char *err, size_t errlen);

/* A temporary credential (STS's TmpSecretId, TmpSecretKey and Token)
 * valid until `expires`, with one reference. It is not added to the
 * log's redaction list: one may be issued per request and lives minutes;
 * code never logs keys anyway. SGW_EINVAL for an empty or non-printable
 * value, SGW_ENOMEM. */
int sgw_cred_temporary(const char *id, size_t id_len, const char *key,
                       size_t key_len, const char *token, size_t token_len,
                       int64_t expires, sgw_cred_t **out);

/* Whether two credentials hold the same id, key and token (and the same
 * S3 ones); two NULLs are the same. */
int sgw_cred_same(const sgw_cred_t *a, const sgw_cred_t *b);

/* Takes another reference; returns `cred`. */
sgw_cred_t *sgw_cred_ref(sgw_cred_t *cred);
/* Drops a reference (NULL is ignored); the last one wipes and frees. */
void sgw_cred_unref(sgw_cred_t *cred);

/* For cred_s3.c: how sgw__cred_load_env reads one kind of credential. */
typedef struct sgw__cred_env_s {
  const char *id, *key, *token; /* the variables, each also as *_FILE */
  size_t id_max, key_max, token_max;
  const char *placeholder_id, *placeholder_key; /* when none is set */
  int token_needs_pair; /* a token without an id and a key is an error */
  const char *pair_msg; /* the error when one of id and key is missing */
  /* NULL, or run on the credential read (its key, not yet in it) before
   * the key is registered: 0, or a negative code with a message in err. */
  int (*finish)(sgw_cred_t *c, const char *key, char *err, size_t errlen);
} sgw__cred_env_t;

/* Reads a credential as `env` says, by the rules of sgw_cred_load:
 * each value from the variable or the file its *_FILE variable names
 * (not both), placeholder values when none is set, the key registered
 * with the log's redaction. On success *out holds a new credential with
 * one reference. Returns 0, or a negative code with a message in `err`
 * that names variables and files, never a value. */
int sgw__cred_load_env(const sgw__cred_env_t *env, sgw_cred_t **out,
                       char *err, size_t errlen);

#endif
