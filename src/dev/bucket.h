/* The dev bucket: a local stand-in for one COS bucket, for development
 * without a Tencent Cloud account. It speaks the part of the COS XML API
 * the upload clients use, over plain HTTP on its own port:
 *
 *   PUT /<key>          Authorization (and x-cos-security-token)
 *   POST /              a POST Object form (policy and q-signature)
 *   GET|HEAD /<key>     Authorization, or a presigned URL's query
 *   OPTIONS /<key>      CORS preflight (every origin is allowed, as a
 *                       bucket with the CORS rule "*" would)
 *
 * and checks every signature exactly as COS does, with the verification
 * of the signing core (signgw/cos_verify.h). A refusal is a COS-style XML
 * error (SignatureDoesNotMatch, AccessDenied, InvalidPolicyDocument,
 * EntityTooLarge, ...) and stores nothing. Bodies stream to disk
 * (dev/upload.h, dev/store.h), never whole in memory.
 *
 * It runs on a thread of its own with its own loop and HTTP server
 * (src/server): it knows nothing of Lua, and the gateway's workers never
 * see its requests.
 *
 * Ownership: sgw_devbucket_start() allocates and starts it;
 * sgw_devbucket_stop() stops the thread (uploads in progress are dropped,
 * with their temporary files) and frees it. */
#ifndef SGW_DEV_BUCKET_H
#define SGW_DEV_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include "server/limits.h"

typedef struct sgw_devbucket_s sgw_devbucket_t;

typedef struct sgw_devbucket_opts_s {
  const char *host;        /* listen address, "127.0.0.1" */
  int port;                /* 0: the kernel picks one */
  const char *data_dir;    /* created if needed */
  const char *bucket;      /* its name, for POST policies' "bucket" */
  uint64_t max_size;       /* the largest object it takes */
  const sgw_limits_t *limits; /* copied: header sizes, timeouts, ... */
} sgw_devbucket_opts_t;

/* Binds the socket, opens the data directory and starts the thread.
 * Returns 0, or a negative code with a message in `err`. */
int sgw_devbucket_start(const sgw_devbucket_opts_t *o, sgw_devbucket_t **out,
                        char *err, size_t errlen);
/* The port it listens on (the kernel's choice for port 0). */
int sgw_devbucket_port(const sgw_devbucket_t *b);
/* The data directory, absolute. */
const char *sgw_devbucket_dir(const sgw_devbucket_t *b);

/* The credentials signatures are checked against (copied; any thread).
 * Until the first call every signature is refused (InvalidAccessKeyId).
 * token may be NULL. Returns 0 or SGW_ENOMEM (then the old ones stay). */
int sgw_devbucket_set_cred(sgw_devbucket_t *b, const char *secret_id,
                           const char *secret_key, const char *token);

void sgw_devbucket_stop(sgw_devbucket_t *b);

#endif
