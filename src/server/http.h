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

/* What on_head asks for a request's body. */
enum {
  SGW_HTTP_BODY_DROP = 0,  /* read and drop it */
  SGW_HTTP_BODY_KEEP = 1,  /* keep it in req (sgw_http_req_body) */
  SGW_HTTP_BODY_STREAM = 2 /* hand the request up at once and the body in
                              pieces through on_body, never kept whole */
};

/* on_body's answer. */
enum {
  SGW_HTTP_GO = 0,   /* send the next piece when it arrives */
  SGW_HTTP_PAUSE = 1 /* stop until sgw_http_req_resume(): the server stops
                        reading, and TCP slows the client down */
};

typedef struct sgw_http_handler_s {
  /* The head is complete. Returns SGW_HTTP_BODY_*: only routes that read
   * bodies keep them, up to the request's body limit (limits.max_body
   * unless the handler sets another with sgw_http_req_set_max_body()
   * here). A Content-Length above the limit is then refused with 413. */
  int (*on_head)(sgw_http_req_t *req, void *ud);
  /* A complete request, or for SGW_HTTP_BODY_STREAM a complete head
   * (its body follows through on_body). When sgw_http_req_error() is
   * non-zero the server refuses it with that status (400, 408, 413, 414,
   * 431, ...): the handler shapes the answer and the connection closes
   * after it. The answer comes through sgw_http_respond() or
   * sgw_http_respond_start(), now or later. */
  void (*on_request)(sgw_http_req_t *req, void *ud);
  /* The connection is gone before the answer: drop what was started for
   * req. It is freed when this returns. */
  void (*on_abort)(sgw_http_req_t *req, void *ud);
  void *ud;
  /* SGW_HTTP_BODY_STREAM only (may be NULL otherwise). A piece of the
   * body (len > 0; the bytes are valid during the call only); returns
   * SGW_HTTP_GO or SGW_HTTP_PAUSE. Then once at = NULL, len = 0: the body
   * is over, complete, or broken off when sgw_http_req_error() is set
   * (413 past the limit, 400 malformed chunks, 408 no byte for
   * limits.header_timeout_ms): the connection closes after that answer.
   * The handler may answer at any time, before the body is over too:
   * then no more pieces come, the rest of the body is read and dropped
   * (within the same bounds), and the connection closes. */
  int (*on_body)(sgw_http_req_t *req, const char *at, size_t len, void *ud);
  /* A streamed answer (sgw_http_respond_start) has written everything
   * queued so far: send more. May be NULL if none are streamed. */
  void (*on_drain)(sgw_http_req_t *req, void *ud);
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
/* The body, when the handler asked to keep it (else empty). */
const char *sgw_http_req_body(const sgw_http_req_t *r, size_t *len);
/* "1.2.3.4" or "::1" into buf (at least 64 bytes); "" when unknown. */
void sgw_http_req_peer(const sgw_http_req_t *r, char *buf, size_t size);
/* 16 lower-case hex digits, unpredictable; also sent as X-Request-Id. */
const char *sgw_http_req_id(const sgw_http_req_t *r);
/* The status the server refuses the request with, or 0. */
int sgw_http_req_error(const sgw_http_req_t *r);
/* Whether the answer is sent without its body (a HEAD request). */
int sgw_http_req_head_only(const sgw_http_req_t *r);
/* The body limit of this request (from on_head, before the body is
 * read): a Content-Length above it, or more bytes, are refused with 413. */
void sgw_http_req_set_max_body(sgw_http_req_t *r, uint64_t max);
/* A streamed body paused by on_body: the next pieces may come (from the
 * next turn of the loop, or at once from inside this call). */
void sgw_http_req_resume(sgw_http_req_t *r);
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

/* Starts an answer whose body, exactly content_length bytes, follows
 * through sgw_http_send(): a body that is read from somewhere while it
 * is sent, never whole in memory. Returns 1 when the body is to be sent,
 * 0 when the answer is already complete (HEAD, a length of 0; req is
 * dead then), -1 when the connection is gone (req is dead, and no
 * on_abort follows). */
int sgw_http_respond_start(sgw_http_req_t *r, int status,
                           const char *content_type, const char *headers,
                           size_t headers_len, uint64_t content_length);
/* The next bytes of a started answer's body (copied when the socket does
 * not take them at once). Returns 0 to go on, 1 to wait for on_drain
 * before sending more, or -1 when the connection is gone (req is dead,
 * no on_abort follows). Once content_length bytes went out the answer is
 * complete and req is dead (0 is returned). More than announced is an
 * error: the connection is closed (-1). */
int sgw_http_send(sgw_http_req_t *r, const char *data, size_t len);
/* Gives up on the answer: the connection closes (a started answer is cut
 * short, which the client sees). No on_abort follows; req is dead. */
void sgw_http_abort(sgw_http_req_t *r);

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
