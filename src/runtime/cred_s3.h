/* S3 credentials, loaded with the COS ones (sgw_cred_load calls this, at
 * start-up and on every reload) and kept in the same sgw_cred_t shape:
 * secret_id is the access key id, secret_key the secret access key,
 * security_token the session token. The COS credential owns it (->s3).
 *
 * Same rules as COS: the secret stays in C, scripts get ctx.s3_cred, an
 * opaque credential gw.s3 signs with; gw.env refuses the secret
 * variables; the log redacts the secret. */
#ifndef SGW_CRED_S3_H
#define SGW_CRED_S3_H

#include <stddef.h>

#include "runtime/cred.h"

/* Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional
 * AWS_SESSION_TOKEN, each from the variable or the file its *_FILE
 * variable names, into a new credential (*out). Without an id and a
 * secret, placeholder values are used and ->placeholder is set. The
 * secret is registered with the log's redaction. Returns 0, or a
 * negative code with a message in `err` that names variables and files,
 * never a value. */
int sgw_cred_s3_load(sgw_cred_t **out, char *err, size_t errlen);
/* Drops the reference sgw_cred_s3_load gave (NULL is ignored): the last
 * one wipes and frees, as sgw_cred_unref. */
void sgw_cred_s3_free(sgw_cred_t *cred);

/* 1 when the environment selects S3 storage (SGW_STORAGE=s3), which
 * decides which placeholder warning start-up gives. */
int sgw_cred_s3_selected(void);

#endif
