/* Error codes shared by every signgw module.
 *
 * Functions return 0 on success or one of these negative codes; the edge
 * (HTTP response, log line, Lua error) turns them into text with
 * sgw_strerror(). */
#ifndef SIGNGW_ERROR_H
#define SIGNGW_ERROR_H

#define SGW_OK       0
#define SGW_ENOMEM  -1  /* allocation failed */
#define SGW_EINVAL  -2  /* malformed input */
#define SGW_ECRYPTO -3  /* OpenSSL reported a failure */
#define SGW_ERANGE  -4  /* value too large or out of range */
#define SGW_ENOENT  -5  /* not found */
#define SGW_EIO     -6  /* I/O error */
#define SGW_ETIMEDOUT -7  /* a wait ran past its deadline */
#define SGW_ECONN   -8  /* could not connect, or the connection broke */
#define SGW_ETLS    -9  /* TLS handshake or certificate verification failed */
#define SGW_ETOOBIG -10 /* an answer larger than its cap */
#define SGW_EBUSY   -11 /* a concurrency limit was reached */
#define SGW_ECANCELED -12 /* the operation was cancelled */
#define SGW_EPROTO  -13 /* the peer broke its protocol (malformed answer) */

/* Size of a buffer for an error message (the `err, errlen` arguments):
 * room for a path, a file:line and the script's own message. */
#define SGW_ERR_MAX 2048

const char *sgw_strerror(int err);

#endif
