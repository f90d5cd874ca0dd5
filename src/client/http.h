/* Outbound HTTP(S) client: libcurl's multi-socket interface driven by one
 * uv_loop. It knows nothing of Lua; the gw.http binding sits on top.
 *
 * One client per worker loop. A client owns one curl multi handle, so its
 * calls share a connection cache (keep-alive) and a DNS cache; names are
 * resolved off the loop by libcurl's asynchronous resolver (its presence
 * is checked by sgw_http_global_init()). Every function here must be
 * called on the loop's thread, and no callback ever runs inside an API
 * call: completion callbacks run only from the loop.
 *
 * Transfers speak HTTP/1.1 (one transfer per connection, so cancelling a
 * call closes its connection); only http:// and https:// URLs are allowed,
 * also as redirect targets; proxy settings in the environment are ignored.
 * TLS verifies the certificate chain and the host name, against the system
 * trust store or, when opts.ca_file is set, against that PEM bundle alone.
 *
 * Ownership, in short:
 * - The caller owns the sgw_http_opts_t and sgw_http_request_t it passes;
 *   everything in them is copied before the call returns.
 * - The client is allocated by sgw_http_client_new() and freed by the
 *   library after sgw_http_client_close(), once its libuv handles are
 *   closed; the loop must run for that.
 * - A call is allocated by sgw_http_request() and freed by the library
 *   exactly once: right after its callback returns, or inside
 *   sgw_http_call_cancel(), or inside sgw_http_client_close(). The call
 *   pointer is invalid after any of these.
 * - The response passed to a callback (body, headers) is owned by the call
 *   and valid only until the callback returns: copy what you keep. */
#ifndef SGW_CLIENT_HTTP_H
#define SGW_CLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct sgw_http_client_s sgw_http_client_t;
typedef struct sgw_http_call_s sgw_http_call_t;

typedef struct sgw_http_opts_s {
  /* PEM bundle that replaces the system trust store; NULL: the system
   * store. Must be readable when the client is made. */
  const char *ca_file;
  uint32_t connect_timeout_ms; /* TCP connect plus TLS handshake */
  uint32_t timeout_ms;         /* total per call, when the call sets none */
  size_t max_body;             /* response body cap, bytes */
  uint32_t max_concurrent;     /* transfers running at once */
  /* Calls beyond max_concurrent wait in a FIFO of at most this many (0: no
   * waiting); their timeout runs while they wait. Beyond it a call is
   * refused with SGW_EBUSY. */
  uint32_t max_queued;
} sgw_http_opts_t;

typedef struct sgw_http_header_s {
  const char *name;
  const char *value;
} sgw_http_header_t;

typedef struct sgw_http_request_s {
  const char *method; /* NULL: "GET" */
  const char *url;    /* absolute http:// or https:// URL */
  /* Sent as given, in order. Names must be HTTP tokens, values must hold
   * no CR or LF; Content-Length and Transfer-Encoding are refused (the
   * library frames the body). No Content-Type is added unless given. */
  const sgw_http_header_t *headers;
  size_t nheaders;
  /* The request body (copied); NULL with body_len 0 sends none for GET and
   * HEAD and an empty one for every other method. */
  const char *body;
  size_t body_len;
  uint32_t timeout_ms;    /* total, from this call on; 0: the client's */
  uint32_t max_redirects; /* 0: a redirect is returned, not followed */
} sgw_http_request_t;

typedef struct sgw_http_response_s {
  int status;       /* last status received; 0 when none */
  const char *body; /* NUL-terminated (body_len excludes the NUL) */
  size_t body_len;
  /* Headers of the final response, in order, names lower-cased, values
   * trimmed; repeated names appear repeatedly. */
  const sgw_http_header_t *headers;
  size_t nheaders;
} sgw_http_response_t;

/* Completion: called exactly once per call that is neither cancelled nor
 * closed with its client. err is 0 or a negative SGW_E* code:
 *   SGW_ETIMEDOUT  the total or the connect timeout ran out (also while
 *                  the call waited for a free slot)
 *   SGW_ECONN      DNS failure, refused, reset or closed connection
 *   SGW_ETLS       certificate not trusted, host name mismatch, handshake
 *   SGW_ETOOBIG    body over opts.max_body, or headers over 64 KiB
 *   SGW_EPROTO     malformed answer, too many redirects
 *   SGW_ENOMEM, SGW_EIO  out of memory, anything else
 * errtext is NULL on success, else a short fixed description that never
 * holds a header value, body content or URL. On error res->status may be
 * set, but body and headers are empty. The callback may start new calls,
 * cancel other calls and close the client; cancelling its own call there
 * does nothing. */
typedef void (*sgw_http_cb)(sgw_http_call_t *call, int err,
                            const char *errtext,
                            const sgw_http_response_t *res, void *data);
typedef void (*sgw_http_closed_cb)(void *data);

/* Process-wide set-up of libcurl: call once in main() before any thread
 * starts, and sgw_http_global_cleanup() once after every thread stopped.
 * Refuses (SGW_EINVAL, *why set to a fixed text) a libcurl that could
 * block the loop (no asynchronous resolver), has no TLS or is older than
 * 7.85. why may be NULL. */
int sgw_http_global_init(const char **why);
void sgw_http_global_cleanup(void);

/* Defaults: system trust store, connect 5 s, total 10 s, body 1 MiB,
 * 64 concurrent transfers, 1024 waiting. */
void sgw_http_opts_init(sgw_http_opts_t *opts);

/* Makes a client on loop. SGW_EINVAL for a zero timeout, cap or
 * concurrency; SGW_ENOENT when ca_file cannot be read; SGW_ENOMEM. */
int sgw_http_client_new(uv_loop_t *loop, const sgw_http_opts_t *opts,
                        sgw_http_client_t **client);

/* Aborts every call, running or waiting (their callbacks are never
 * called, their connections are closed), closes the idle connections and
 * frees the client once its libuv handles are closed; then on_closed(data)
 * runs, if given. May be called from a completion callback. A second
 * close does nothing. */
void sgw_http_client_close(sgw_http_client_t *client,
                           sgw_http_closed_cb on_closed, void *data);

/* Starts a call; cb(call, ...) runs when it completes. *call (if call is
 * not NULL) receives the handle for sgw_http_call_cancel(). Returns
 * SGW_EINVAL for a bad method, URL or header, SGW_EBUSY when
 * max_concurrent transfers run and max_queued calls wait, SGW_ECANCELED
 * when the client is closing, SGW_ENOMEM; the callback is not called then. */
int sgw_http_request(sgw_http_client_t *client, const sgw_http_request_t *req,
                     sgw_http_cb cb, void *data, sgw_http_call_t **call);

/* Aborts a call now: a running transfer's connection is closed, a waiting
 * call leaves the queue. The callback is never called; the call is freed
 * before this returns. */
void sgw_http_call_cancel(sgw_http_call_t *call);

#endif
