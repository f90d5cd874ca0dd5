/* Connection life cycle: read, parse, hand each request up, write the
 * answers in order, time out, close.
 *
 * All received bytes go through the request state's `pending`, and a
 * single loop (conn_drive) parses them while no request is being
 * answered. The parser pauses after each message, so pipelined requests
 * are taken one at a time and answered in order, and a handler that waits
 * simply leaves the rest in `pending`.
 *
 * A streamed request (SGW_HTTP_BODY_STREAM) pauses the parser once more,
 * after its head: it is handed up then, and the parser goes on while the
 * handler holds it, passing each piece of the body up from inside the
 * parser's callback. A handler that wants to wait pauses the parser
 * there; the bytes behind stay in `pending`, which stops reading once it
 * holds limits.max_header_bytes, so TCP slows the client down.
 *
 * What the parser reports (head, headers, body pieces) is handled in
 * parse.c; this file drives it. */
#include "server/conn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "server/framing.h"
#include "server/response.h"
#include "server/tls.h"
#include "signgw/crypto.h"

#define SGW__LINGER_MS 2000

typedef struct conn_write_s {
  uv_write_t req;
  sgw_conn_t *conn;
  size_t len;
  char data[];
} conn_write_t;

static void conn_drive(sgw_conn_t *c);
static void conn_arm_timer(sgw_conn_t *c);
static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static size_t conn_queued(const sgw_conn_t *c) {
  return uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

static int server_over(const sgw_server_t *s) {
  return s->buffered > SGW_SERVER_MAX_BUFFERED;
}

/* ---- closing --------------------------------------------------------- */

/* The request state goes back to the pool once nothing is left in it. */
static void conn_release_req(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;

  if (r == NULL)
    return;
  sgw__server_account(c->server, 0, r->pending.len + r->body.len);
  c->req = NULL;
  sgw_http_req_give(c->server, r);
}

static void conn_free(sgw_conn_t *c) {
  sgw_server_t *s = c->server;

  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  s->nconns--;
  conn_release_req(c);
  if (c->tls)
    sgw_tls_conn_free(c);
  else
    free(c);
  sgw_server_trim(s);
  if (s->nconns == 0 && s->draining && s->on_drained != NULL)
    s->on_drained(s);
}

static void on_closed(uv_handle_t *h) { conn_free(h->data); }

void sgw_conn_close(sgw_conn_t *c) {
  sgw_server_t *s = c->server;

  if (uv_is_closing((uv_handle_t *)&c->tcp))
    return;
  c->closing = 1;
  sgw_deadline_stop(&s->deadlines, &c->dl);
  if (c->req != NULL && c->req->running) {
    c->req->running = 0;
    if (s->handler.on_abort != NULL)
      s->handler.on_abort(c->req, s->handler.ud);
  }
  uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  sgw_conn_t *c = req->data;

  free(req);
  if (status < 0 || uv_is_closing((uv_handle_t *)&c->tcp)) {
    sgw_conn_close(c);
    return;
  }
  /* Keep reading (and discarding) briefly so unread request bytes do not
   * turn our close into a reset that destroys the answer in flight. */
  sgw_deadline_start(&c->server->deadlines, &c->dl, SGW_DL_LINGER,
                     SGW__LINGER_MS);
}

/* Closes after everything queued has been written. */
static void conn_close_after_write(sgw_conn_t *c) {
  uv_shutdown_t *req;

  c->closing = 1;
  if (uv_is_closing((uv_handle_t *)&c->tcp))
    return;
  sgw_deadline_stop(&c->server->deadlines, &c->dl);
  conn_release_req(c);
  if (c->tls) {
    sgw_tls_shutdown(c); /* close_notify: the answer was complete */
    if (uv_is_closing((uv_handle_t *)&c->tcp))
      return;
  }
  req = malloc(sizeof(*req));
  if (req == NULL) {
    sgw_conn_close(c);
    return;
  }
  req->data = c;
  if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
    free(req);
    sgw_conn_close(c);
  }
}

/* ---- writing --------------------------------------------------------- */

static void on_write(uv_write_t *req, int status) {
  conn_write_t *wr = (conn_write_t *)req;
  sgw_conn_t *c = wr->conn;

  sgw__server_account(c->server, 0, wr->len);
  free(wr);
  if (status < 0) {
    if (status != UV_ECANCELED)
      sgw_conn_close(c);
    return;
  }
  if (c->closing || uv_is_closing((uv_handle_t *)&c->tcp) ||
      conn_queued(c) > 0)
    return;
  /* Drained: the send timeout gives way to the usual one, and parsing
   * goes on if it paused for us. A streamed answer sends more. */
  if (c->req != NULL && c->req->answering) {
    sgw_deadline_stop(&c->server->deadlines, &c->dl);
    if (c->server->handler.on_drain != NULL)
      c->server->handler.on_drain(c->req, c->server->handler.ud);
    return;
  }
  if (c->req == NULL || (!c->req->running && !c->req->in_message))
    conn_arm_timer(c);
  conn_drive(c);
}

/* Writes data[0..len) now if the socket takes it, else queues a copy. */
void sgw__conn_write_raw(sgw_conn_t *c, const char *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  conn_write_t *wr;
  int n = 0;

  if (conn_queued(c) == 0)
    n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN || n == UV_ENOSYS)
    n = 0;
  if (n < 0) {
    sgw_conn_close(c);
    return;
  }
  if ((size_t)n == len)
    return;
  wr = malloc(sizeof(*wr) + len - (size_t)n);
  if (wr == NULL) {
    sgw_conn_close(c);
    return;
  }
  wr->conn = c;
  wr->len = len - (size_t)n;
  memcpy(wr->data, data + n, wr->len);
  b = uv_buf_init(wr->data, (unsigned)wr->len);
  if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
    free(wr);
    sgw_conn_close(c);
    return;
  }
  sgw__server_account(c->server, wr->len, 0);
}

static void conn_write(sgw_conn_t *c, const char *data, size_t len) {
  if (c->tls)
    sgw_tls_write(c, data, len);
  else
    sgw__conn_write_raw(c, data, len);
}

/* Starts (again) the wait for the next body bytes of a streamed request:
 * the whole head had to arrive in time, then the body must keep coming. */
static void conn_arm_body(sgw_conn_t *c) {
  sgw_deadline_start(&c->server->deadlines, &c->dl, SGW_DL_HEADER,
                     c->server->limits->header_timeout_ms);
}

/* The request is answered: get ready for the next one. */
static void conn_finish_request(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;

  r->running = 0;
  r->error_status = 0;
  r->start_ns = 0;
  r->answering = 0;
  r->data = NULL;
  c->served = 1;
  if (r->in_message) {
    /* Answered before its body ended (a streamed request): the rest is
     * read and dropped, then the connection closes (the answer said
     * so). From inside the parser, it simply goes on. */
    r->streaming = 0;
    r->discard = 1;
    c->keep_alive = 0;
    if (c->parsing)
      return;
    if (r->body_paused) {
      r->body_paused = 0;
      llhttp_resume(&r->parser);
      r->kick = 1;
    }
    conn_arm_body(c);
    conn_drive(c);
    return;
  }
  r->error_status = 0;
  if (!c->keep_alive) {
    conn_close_after_write(c);
    return;
  }
  llhttp_resume(&r->parser);
  conn_arm_timer(c);
  conn_drive(c);
}

void sgw_http_respond(sgw_http_req_t *r, int status, const char *content_type,
                      const char *headers, size_t headers_len,
                      const char *body, size_t body_len) {
  sgw_conn_t *c = r->conn;
  sgw_server_t *s = c->server;
  sgw_buf_t *out = &s->out;

  if (c->closing || !r->running || r->answering)
    return;
  r->running = 0; /* answered: a failed write below is no abort */
  if (r->in_message) /* its body is still coming: see conn_finish_request */
    c->keep_alive = 0;
  sgw_buf_reset(out);
  if (sgw_response_head(out, status, sgw_server_date(s), content_type,
                        body_len, r->id, c->keep_alive, headers,
                        headers_len) < 0 ||
      (!r->head_only && sgw_buf_append(out, body, body_len) < 0)) {
    sgw_log_error("out of memory writing a response; closing");
    sgw_conn_close(c);
    return;
  }
  conn_write(c, out->base, out->len);
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    conn_finish_request(c);
}

int sgw_http_respond_start(sgw_http_req_t *r, int status,
                           const char *content_type, const char *headers,
                           size_t headers_len, uint64_t content_length) {
  sgw_conn_t *c = r->conn;
  sgw_server_t *s = c->server;
  sgw_buf_t *out = &s->out;

  if (c->closing || !r->running || r->answering)
    return -1;
  /* One answer at a time on the connection's one deadline: the body of
   * the request must be over (a streamed one ends with on_body(NULL)). */
  if (r->in_message || content_length > SIZE_MAX) {
    sgw_log_error("a streamed answer must start after the request body");
    r->running = 0;
    sgw_conn_close(c);
    return -1;
  }
  r->running = 0; /* a failed write below is no abort */
  sgw_buf_reset(out);
  if (sgw_response_head(out, status, sgw_server_date(s), content_type,
                        (size_t)content_length, r->id, c->keep_alive,
                        headers, headers_len) < 0) {
    sgw_log_error("out of memory writing a response; closing");
    sgw_conn_close(c);
    return -1;
  }
  conn_write(c, out->base, out->len);
  if (uv_is_closing((uv_handle_t *)&c->tcp))
    return -1;
  if (r->head_only || content_length == 0) {
    conn_finish_request(c);
    return 0;
  }
  r->running = 1;
  r->answering = 1;
  r->resp_left = content_length;
  return 1;
}

int sgw_http_send(sgw_http_req_t *r, const char *data, size_t len) {
  sgw_conn_t *c = r->conn;
  sgw_server_t *s = c->server;

  if (c->closing || !r->answering)
    return -1;
  if (len > r->resp_left) {
    sgw_log_error("a streamed answer sent more than its Content-Length");
    sgw_http_abort(r);
    return -1;
  }
  r->running = 0; /* a failed write below is no abort */
  conn_write(c, data, len);
  if (uv_is_closing((uv_handle_t *)&c->tcp))
    return -1;
  r->running = 1;
  r->resp_left -= len;
  if (r->resp_left == 0) {
    conn_finish_request(c);
    return 0;
  }
  if (conn_queued(c) == 0)
    return 0;
  /* The client must take what is queued within the send timeout. */
  sgw_deadline_start(&s->deadlines, &c->dl, SGW_DL_SEND,
                     s->limits->send_timeout_ms);
  return 1;
}

void sgw_http_abort(sgw_http_req_t *r) {
  r->running = 0; /* the handler knows: no on_abort */
  r->answering = 0;
  sgw_conn_close(r->conn);
}

void sgw_http_req_set_max_body(sgw_http_req_t *r, uint64_t max) {
  r->max_body = max;
}

void sgw_http_req_resume(sgw_http_req_t *r) {
  sgw_conn_t *c = r->conn;

  if (!r->body_paused || c->closing)
    return;
  r->body_paused = 0;
  llhttp_resume(&r->parser);
  r->kick = 1;
  conn_arm_body(c);
  conn_drive(c);
}

/* ---- parsing loop ---------------------------------------------------- */

/* 16 hex digits from the CSPRNG pool: an id says nothing about how many
 * requests came before it. */
static void conn_new_request_id(sgw_http_req_t *r) {
  unsigned char raw[8];

  if (sgw_random_bytes(raw, sizeof(raw)) < 0)
    memset(raw, 0, sizeof(raw));
  sgw_hex_encode(raw, sizeof(raw), r->id);
}

/* Hands the current request up: the handler answers now or later. */
static void conn_hand_up(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;
  sgw_server_t *s = c->server;

  sgw_deadline_stop(&s->deadlines, &c->dl);
  conn_new_request_id(r);
  if (r->start_ns == 0) /* refused before its first byte was parsed */
    r->start_ns = uv_hrtime();
  r->running = 1;
  if (s->handler.on_request != NULL)
    s->handler.on_request(r, s->handler.ud);
  else
    sgw_http_respond_error(r, r->error_status ? r->error_status : 404,
                           r->error_status ? "bad_request" : "not_found",
                           sgw_http_reason(r->error_status ? r->error_status
                                                           : 404),
                           NULL);
}

/* The body of a streamed request is over (complete, or broken off with
 * r->error_status): the handler hears it, and answers now or later. */
static void conn_body_end(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;
  sgw_server_t *s = c->server;

  sgw_deadline_stop(&s->deadlines, &c->dl);
  r->streaming = 0;
  s->handler.on_body(r, NULL, 0, s->handler.ud);
}

/* A request that breaks off after its head was handed up: the handler
 * hears it through on_body, or, answered already, the connection closes
 * after that answer. */
static void conn_stream_error(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;

  c->keep_alive = 0;
  sgw__server_account(c->server, 0, r->pending.len);
  r->pending.len = 0;
  r->in_message = 0;
  r->body_paused = 0;
  if (r->streaming)
    conn_body_end(c);
  else if (!r->running)
    conn_close_after_write(c);
}

static void conn_parse_error(sgw_conn_t *c, llhttp_errno_t err) {
  sgw_http_req_t *r = c->req;

  if (r->error_status == 0)
    r->error_status = 400;
  if (r->error_status == 400)
    sgw_log_info("bad request from client: %s (%s)", llhttp_errno_name(err),
                 llhttp_get_error_reason(&r->parser));
  if (r->head_up) {
    conn_stream_error(c);
    return;
  }
  c->keep_alive = 0;
  sgw__server_account(c->server, 0, r->pending.len);
  r->pending.len = 0;
  r->in_message = 0;
  r->head_only = 0;
  conn_hand_up(c);
}

/* Keeps the last two bytes parsed, for conn_crlf_before() across reads. */
static void conn_keep_tail(sgw_http_req_t *r, size_t used) {
  for (size_t i = used > 2 ? used - 2 : 0; i < used; i++) {
    r->tail[0] = r->tail[1];
    r->tail[1] = r->pending.base[i];
  }
}

/* llhttp 8 accepts a bare LF as the blank line that ends the trailers of
 * a chunked body (framing.c guards the head). Checks that the `used`
 * bytes parsed so far end in CRLF. */
static int conn_crlf_before(const sgw_http_req_t *r, size_t used) {
  char a = used >= 2 ? r->pending.base[used - 2]
           : used == 1 ? r->tail[1] : r->tail[0];
  char b = used >= 1 ? r->pending.base[used - 1] : r->tail[1];

  return a == '\r' && b == '\n';
}

static void conn_consume(sgw_conn_t *c, size_t used) {
  sgw_http_req_t *r = c->req;

  conn_keep_tail(r, used);
  memmove(r->pending.base, r->pending.base + used, r->pending.len - used);
  r->pending.len -= used;
  sgw__server_account(c->server, 0, used);
}

/* May the next pipelined request start? Not while this client leaves
 * too much of our output unread. */
static int conn_may_parse(const sgw_conn_t *c) {
  size_t q = conn_queued(c);

  return q < SGW_SERVER_MAX_QUEUED && !(q > 0 && server_over(c->server));
}

static int conn_may_read(const sgw_conn_t *c) {
  const sgw_http_req_t *r = c->req;

  if (c->closing)
    return 0;
  if (r == NULL)
    return 1;
  if (r->pending.len >= c->server->limits->max_header_bytes)
    return 0;
  /* Past the worker's cap, clients holding memory wait for it to drain;
   * the others (new ones among them) are still read. */
  return !(server_over(c->server) && (conn_queued(c) > 0 || r->running));
}

/* Whether the parser has something to do: bytes to parse, or a resumed
 * pause to finish (a message may end without more input), and nobody
 * waiting on an answer, except a streamed request still taking its body
 * (or dropping it, answered). */
static int conn_may_step(const sgw_http_req_t *r) {
  if (r->pending.len == 0 && !r->kick)
    return 0;
  if (!r->running)
    return 1;
  return r->streaming && !r->body_paused;
}

/* A streamed request's head is parsed: hand it up, and let the parser go
 * on with its body (to the handler, or dropped if it answered at once). */
static void conn_hand_up_head(sgw_conn_t *c) {
  sgw_http_req_t *r = c->req;
  const char *expect;
  size_t n;

  r->head_up = 1;
  r->streaming = 1;
  conn_hand_up(c);
  if (c->closing || c->req != r)
    return;
  llhttp_resume(&r->parser);
  r->kick = 1;
  if (!r->streaming)
    return;
  conn_arm_body(c);
  /* Taken (not answered at once): a client that waits for word before
   * it sends its body (curl does, past 1 MiB) gets it now. */
  expect = sgw_http_req_header(r, "expect", 6, &n);
  if (expect != NULL && n == 12 &&
      strncasecmp(expect, "100-continue", 12) == 0 &&
      r->parser.http_major == 1 && r->parser.http_minor >= 1)
    conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

/* Parses pending bytes until they run out, a request is being answered,
 * or the connection is closing. Re-entrant calls (a handler answering at
 * once from inside the loop) return and let the outer loop go on. */
static void conn_drive(sgw_conn_t *c) {
  static const char none[1];
  sgw_http_req_t *r;
  llhttp_errno_t err;
  const char *base;
  size_t used;

  if (c->driving)
    return;
  c->driving = 1;
  while ((r = c->req) != NULL && !c->closing && conn_may_step(r) &&
         conn_may_parse(c)) {
    r->check_crlf = 0;
    r->kick = 0;
    base = r->pending.base != NULL ? r->pending.base : none;
    c->parsing = 1;
    err = llhttp_execute(&r->parser, base, r->pending.len);
    c->parsing = 0;
    if (c->closing) /* a handler gave up from inside the parser */
      break;
    if (err == HPE_OK) {
      if (sgw_framing_feed(&r->framing, base, r->pending.len)) {
        r->error_status = 400;
        conn_parse_error(c, HPE_CR_EXPECTED);
        break;
      }
      conn_consume(c, r->pending.len);
      continue;
    }
    if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
      conn_parse_error(c, err);
      break;
    }
    used = (size_t)(llhttp_get_error_pos(&r->parser) - base);
    if (sgw_framing_feed(&r->framing, base, used) ||
        !sgw_framing_head_done(&r->framing) ||
        (r->check_crlf && !conn_crlf_before(r, used))) {
      r->error_status = 400;
      conn_parse_error(c, HPE_CR_EXPECTED);
      break;
    }
    if (r->pause_at != SGW__PAUSE_MESSAGE) {
      /* Inside a streamed message: after its head, or a waiting body. */
      conn_consume(c, used);
      if (r->pause_at == SGW__PAUSE_HEAD)
        conn_hand_up_head(c);
      continue;
    }
    sgw_framing_reset(&r->framing);
    conn_consume(c, used);
    if (err == HPE_PAUSED_UPGRADE) {
      /* CONNECT: what follows is not HTTP; drop it. */
      sgw__server_account(c->server, 0, r->pending.len);
      r->pending.len = 0;
      c->keep_alive = 0;
    }
    if (!r->head_up) {
      conn_hand_up(c);
    } else if (r->discard) { /* answered, and now the body is gone too */
      conn_close_after_write(c);
      break;
    } else {
      conn_body_end(c); /* the handler answers now or later */
    }
  }
  c->driving = 0;
  if (c->closing)
    return;
  r = c->req;
  /* Idle: give the request state back; the connection holds no buffers
   * until its next bytes arrive. */
  if (r != NULL && !r->running && !r->in_message && r->pending.len == 0)
    conn_release_req(c);
  if (!c->reading && conn_may_read(c) &&
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = 1;
}

/* ---- reading and timers ---------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  sgw_conn_t *c = h->data;

  (void)size;
  *buf = uv_buf_init(c->server->readbuf, SGW_SERVER_READBUF);
}

static void conn_stop_reading(sgw_conn_t *c) {
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->reading = 0;
}

/* Bytes arrived on an idle connection: it needs a parser and buffers. */
static int conn_take_req(sgw_conn_t *c) {
  sgw_http_req_t *r = sgw_http_req_take(c->server);

  if (r == NULL)
    return -1;
  sgw__parse_init(r);
  sgw_framing_reset(&r->framing);
  r->conn = c;
  c->req = r;
  return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sgw_conn_t *c = s->data;

  if (nread == 0)
    return;
  if (nread < 0) {
    /* The client closed (or half-closed: TCP cannot tell). A request it
     * is still waiting for is abandoned, as nginx does (499): whatever
     * that request waits on (an upstream call, Redis) is cancelled. */
    sgw_conn_close(c);
    return;
  }
  if (c->closing) /* lingering: discard */
    return;
  if (c->tls)
    sgw_tls_read(c, buf->base, (size_t)nread);
  else
    sgw__conn_received(c, buf->base, (size_t)nread);
}

void sgw__conn_received(sgw_conn_t *c, const char *data, size_t len) {
  if ((c->req == NULL && conn_take_req(c) < 0) ||
      sgw_buf_append(&c->req->pending, data, len) < 0) {
    sgw_conn_close(c);
    return;
  }
  sgw__server_account(c->server, len, 0);
  /* A streamed body keeps coming: the wait for its next bytes restarts. */
  if (c->req->head_up && c->req->in_message && !c->req->body_paused)
    conn_arm_body(c);
  if (!conn_may_read(c))
    conn_stop_reading(c);
  conn_drive(c);
}

void sgw__conn_handshake_done(sgw_conn_t *c) {
  c->handshaking = 0;
  conn_arm_timer(c);
}

void sgw_conn_expired(sgw_conn_t *c, int kind) {
  sgw_http_req_t *r = c->req;

  if (kind == SGW_DL_HEADER && r != NULL && r->head_up && r->in_message) {
    /* A streamed body stopped coming: the handler answers 408 (or, if
     * it answered already, the connection closes after that). */
    if (r->error_status == 0)
      r->error_status = 408;
    conn_stream_error(c);
    return;
  }
  if (kind == SGW_DL_HEADER && r != NULL && !r->running) {
    /* The request did not arrive in time: answer 408, then close. */
    c->keep_alive = 0;
    sgw__server_account(c->server, 0, r->pending.len);
    r->pending.len = 0;
    r->in_message = 0;
    r->head_only = 0;
    r->error_status = 408;
    conn_hand_up(c);
    return;
  }
  sgw_conn_close(c);
}

static void conn_arm_timer(sgw_conn_t *c) {
  sgw_server_t *s = c->server;
  const sgw_limits_t *l = s->limits;

  if (conn_queued(c) > 0)
    sgw_deadline_start(&s->deadlines, &c->dl, SGW_DL_SEND, l->send_timeout_ms);
  else if (c->handshaking || (c->req != NULL && c->req->pending.len > 0))
    /* A TLS handshake has the time a request head has. */
    sgw_deadline_start(&s->deadlines, &c->dl, SGW_DL_HEADER,
                       l->header_timeout_ms);
  else if (s->draining)
    /* Stopping: a client that connected has a moment to send its
     * request, not the whole idle timeout. */
    sgw_deadline_start(&s->deadlines, &c->dl, SGW_DL_LINGER, SGW__LINGER_MS);
  else
    sgw_deadline_start(&s->deadlines, &c->dl, SGW_DL_IDLE, l->idle_timeout_ms);
}

int sgw_conn_state(const sgw_conn_t *c) {
  const sgw_http_req_t *r = c->req;

  if (r != NULL && r->running)
    return SGW_CONN_ACTIVE;
  if (c->closing || conn_queued(c) > 0)
    return SGW_CONN_WRITING;
  if (r != NULL && (r->in_message || r->pending.len > 0))
    return SGW_CONN_READING;
  return SGW_CONN_IDLE;
}

int sgw_conn_idle(const sgw_conn_t *c) {
  const sgw_http_req_t *r = c->req;

  return conn_queued(c) == 0 &&
         (r == NULL || (!r->running && !r->in_message && r->pending.len == 0));
}

/* The client's address, asked once: the access log wants it for every
 * request, also for one whose client is gone (no peer to ask by then). */
static void conn_peer(sgw_conn_t *c) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);

  c->peer[0] = '\0';
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
    return;
  if (ss.ss_family == AF_INET6)
    uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof(c->peer));
  else if (ss.ss_family == AF_INET)
    uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof(c->peer));
}

void sgw_conn_drain(sgw_conn_t *c) {
  /* Closing already (its close callback, which frees it, is pending):
   * a deadline armed now would outlive it. */
  if (c->closing)
    return;
  if (sgw_conn_idle(c) && c->served) {
    sgw_conn_close(c);
    return;
  }
  c->keep_alive = 0; /* answer, then close */
  /* Accepted, nothing asked yet: its request is likely on the way (or
   * in the TLS handshake), so it gets a short grace, not a reset. */
  if (sgw_conn_idle(c))
    conn_arm_timer(c);
}

void sgw_conn_start(sgw_conn_t *c) {
  sgw_server_t *s = c->server;

  c->tcp.data = c;
  conn_peer(c);
  c->keep_alive = 1;
  uv_tcp_nodelay(&c->tcp, 1);
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  conn_arm_timer(c);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = 1;
  else
    sgw_conn_close(c);
}
