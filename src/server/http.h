/* What the server hands up and takes back: one parsed HTTP request, and
 * the callbacks through which the layer above (the Lua runtime) answers.
 *
 * The server knows nothing of Lua. It calls the handler it was given at
 * start (h2o's on_req pattern) and takes the answer through
 * sgw_http_respond(); dependencies point one way.
 *
 * Ownership: the server owns every sgw_http_req_t. One is attached to a
 * connection while a request is being read or answered; between
 * requests it goes back to the server's pool, so an idle connection
 * holds no parser and no buffers. The handler may keep a request from
 * on_request until it calls sgw_http_respond() or until on_abort()
 * returns, whichever comes first; after that the pointer is dead. */
#ifndef SGW_HTTP_H
#define SGW_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sgw_http_req_s sgw_http_req_t;

typedef struct sgw_http_handler_s {
  /* The head is complete (not called for a request the server refuses).
   * Returns 1 to keep the body in req (up to limits.max_body), 0 to read
   * and drop it: only routes that read bodies buffer them. */
  int (*on_head)(sgw_http_req_t *req, void *ud);
  /* A complete request. When sgw_http_req_error() is non-zero the server
   * refuses it with that status (400, 408, 413, 414, 431, ...): the
   * handler shapes the answer and the connection closes after it. The
   * answer comes through sgw_http_respond(), now or later. */
  void (*on_request)(sgw_http_req_t *req, void *ud);
  /* The connection is gone before the answer: drop what was started for
   * req. It is freed when this returns. */
  void (*on_abort)(sgw_http_req_t *req, void *ud);
  void *ud;
} sgw_http_handler_t;

/* ---- the request ------------------------------------------------------ */

const char *sgw_http_req_method(const sgw_http_req_t *r);  /* "GET" */
/* The request target before '?' (not decoded). */
const char *sgw_http_req_path(const sgw_http_req_t *r, size_t *len);
/* The raw query string after '?' (empty when there is none). */
const char *sgw_http_req_query(const sgw_http_req_t *r, size_t *len);
/* The first value of header `name` (any case), or NULL. */
const char *sgw_http_req_header(const sgw_http_req_t *r, const char *name,
                                size_t name_len, size_t *value_len);
unsigned sgw_http_req_nheaders(const sgw_http_req_t *r);
/* Header i (0-based) as name and value. */
void sgw_http_req_header_at(const sgw_http_req_t *r, unsigned i,
                            const char **name, size_t *name_len,
                            const char **value, size_t *value_len);
/* The body, when the handler asked for it (else empty). */
const char *sgw_http_req_body(const sgw_http_req_t *r, size_t *len);
/* "1.2.3.4" or "::1" into buf (at least 64 bytes); "" when unknown.
 * Asked once, when the connection starts. */
void sgw_http_req_peer(const sgw_http_req_t *r, char *buf, size_t size);
/* uv_hrtime() when the request's first byte was parsed (its duration
 * runs from there). */
uint64_t sgw_http_req_start(const sgw_http_req_t *r);
/* 16 lower-case hex digits, unpredictable; also sent as X-Request-Id. */
const char *sgw_http_req_id(const sgw_http_req_t *r);
/* The status the server refuses the request with, or 0. */
int sgw_http_req_error(const sgw_http_req_t *r);
/* Whether the answer is sent without its body (a HEAD request). */
int sgw_http_req_head_only(const sgw_http_req_t *r);
/* A scratch buffer for decoding, reused for every request. */
struct sgw_buf_s *sgw_http_req_scratch(sgw_http_req_t *r);

/* The handler's own pointer, free for its use while it holds the req. */
void *sgw_http_req_data(const sgw_http_req_t *r);
void sgw_http_req_set_data(sgw_http_req_t *r, void *data);

/* ---- the answer ------------------------------------------------------- */

/* Sends the complete answer. `headers` are preformatted "Name: value\r\n"
 * lines (may be NULL). Nothing is taken over; req is dead afterwards
 * (the next pipelined request may already be running on it). */
void sgw_http_respond(sgw_http_req_t *r, int status, const char *content_type,
                      const char *headers, size_t headers_len,
                      const char *body, size_t body_len);

/* Like sgw_http_respond with the default error body
 * {"error":code,"message":message}: the answer when nothing above can
 * shape one. */
void sgw_http_respond_error(sgw_http_req_t *r, int status, const char *code,
                            const char *message, const char *headers);

/* Reason phrase of a status ("Unknown" for unlisted ones). */
const char *sgw_http_reason(int status);
/* Whether every byte of s[0..len) is an RFC 9110 token character (a
 * header name is a non-empty token). */
int sgw_http_token(const char *s, size_t len);

#endif
