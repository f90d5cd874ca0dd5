/* Connection life cycle: read, parse, hand each request to the runtime,
 * write responses in order, time out, close.
 *
 * All received bytes go through `pending`, and a single loop (conn_drive)
 * parses them while no handler is running. The parser pauses after each
 * message, so pipelined requests are taken one at a time and answered in
 * order, and a handler that waits simply leaves the rest in `pending`. */
#include "server/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "runtime/dispatch.h"
#include "runtime/worker.h"
#include "server/framing.h"
#include "server/response.h"
#include "signgw/crypto.h"
#include "signgw/json.h"

#define SGW__LINGER_MS 2000
/* Responses queued for a client that does not read them: past this we
 * stop parsing its pipelined requests until it catches up. */
#define SGW__MAX_QUEUED (256 * 1024)

typedef struct conn_write_s {
  uv_write_t req;
  sgw_conn_t *conn;
  size_t len;
  char data[];
} conn_write_t;

static void conn_drive(sgw_conn_t *c);
static void conn_arm_timer(sgw_conn_t *c);
static size_t conn_queued(sgw_conn_t *c);
static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_timeout(uv_timer_t *t);
static int conn_crlf_before(const sgw_conn_t *c, size_t used);

/* ---- parser callbacks ------------------------------------------------ */

static sgw_conn_t *conn_of(llhttp_t *p) { return p->data; }

static int fail(sgw_conn_t *c, int status) {
  c->error_status = status;
  return -1;
}

static int on_message_begin(llhttp_t *p) {
  sgw_conn_t *c = conn_of(p);
  sgw_request_t *r = &c->req;

  c->in_message = 1;
  /* From the first byte, the whole request must arrive in time. */
  uv_timer_start(&c->timer, on_timeout,
                 c->worker->limits->header_timeout_ms, 0);
  sgw_buf_reset(&r->head);
  sgw_buf_reset(&r->body);
  r->url_off = r->url_len = r->path_len = 0;
  r->nhdrs = 0;
  c->hdr_state = 0;
  return 0;
}

static int head_append(sgw_conn_t *c, const char *at, size_t len) {
  sgw_request_t *r = &c->req;

  if (r->head.len + len > c->worker->limits->max_header_bytes)
    return fail(c, 431);
  if (sgw_buf_append(&r->head, at, len) < 0)
    return fail(c, 500);
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  sgw_conn_t *c = conn_of(p);

  if (c->req.url_len + len > c->worker->limits->max_url)
    return fail(c, 414);
  c->req.url_len += len;
  return head_append(c, at, len);
}

/* RFC 9110 token characters: anything else in a field name (a space
 * before the colon, say) is how requests get smuggled past proxies. */
static int is_token(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= ' ' || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
      return 0;
  }
  return 1;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
  sgw_conn_t *c = conn_of(p);
  sgw_request_t *r = &c->req;

  if (!is_token(at, len))
    return fail(c, 400);
  if (c->hdr_state != 1) {
    if (r->nhdrs == c->worker->limits->max_headers)
      return fail(c, 431);
    if (r->nhdrs == r->hdr_cap) {
      unsigned cap = r->hdr_cap ? r->hdr_cap * 2 : 8;
      sgw_hdr_t *h = realloc(r->hdrs, cap * sizeof(*h));
      if (h == NULL)
        return fail(c, 500);
      r->hdrs = h;
      r->hdr_cap = cap;
    }
    r->hdrs[r->nhdrs++] = (sgw_hdr_t){.name_off = (uint32_t)r->head.len};
    c->hdr_state = 1;
  }
  r->hdrs[r->nhdrs - 1].name_len += (uint32_t)len;
  return head_append(c, at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
  sgw_conn_t *c = conn_of(p);
  sgw_hdr_t *h = &c->req.hdrs[c->req.nhdrs - 1];

  /* Line breaks and folds are the framing scanner's; this catches a lone
   * CR, which the parser would keep in the value. */
  if (memchr(at, '\r', len) != NULL || memchr(at, '\n', len) != NULL)
    return fail(c, 400);
  if (c->hdr_state != 2) {
    h->value_off = (uint32_t)c->req.head.len;
    c->hdr_state = 2;
  }
  h->value_len += (uint32_t)len;
  return head_append(c, at, len);
}

/* HTTP/1.1 requires exactly one Host header (RFC 9112 section 3.2). */
static int host_ok(llhttp_t *p, const sgw_request_t *r) {
  unsigned n = 0;

  for (unsigned i = 0; i < r->nhdrs; i++)
    n += r->hdrs[i].name_len == 4 &&
         strncasecmp(r->head.base + r->hdrs[i].name_off, "host", 4) == 0;
  if (p->http_major == 1 && p->http_minor >= 1)
    return n == 1;
  return n <= 1;
}

static int on_headers_complete(llhttp_t *p) {
  sgw_conn_t *c = conn_of(p);
  sgw_request_t *r = &c->req;
  const char *url = r->head.base + r->url_off;
  const char *q = memchr(url, '?', r->url_len);

  if (r->url_len == 0)
    return fail(c, 400);
  r->path_len = q ? (size_t)(q - url) : r->url_len;
  r->method = llhttp_method_name(llhttp_get_method(p));
  if (!host_ok(p, r))
    return fail(c, 400);
  /* RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is faulty
   * framing; refusing it is the safe reading. */
  if ((p->flags & F_TRANSFER_ENCODING) && p->http_major == 1 &&
      p->http_minor == 0)
    return fail(c, 400);
  if ((p->flags & F_CONTENT_LENGTH) &&
      p->content_length > c->worker->limits->max_body)
    return fail(c, 413);
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  sgw_conn_t *c = conn_of(p);

  if (c->req.body.len + len > c->worker->limits->max_body)
    return fail(c, 413);
  if (sgw_buf_append(&c->req.body, at, len) < 0)
    return fail(c, 500);
  return 0;
}

static int on_message_complete(llhttp_t *p) {
  sgw_conn_t *c = conn_of(p);

  /* While the worker drains, every answer is the connection's last. */
  c->keep_alive = llhttp_should_keep_alive(p) && !c->worker->draining;
  c->in_message = 0;
  /* A chunked message ends with the blank line after its trailers. */
  c->check_crlf = (p->flags & F_CHUNKED) != 0;
  return HPE_PAUSED; /* one request at a time: see conn_drive */
}

/* ---- closing --------------------------------------------------------- */

static void conn_free(sgw_conn_t *c) {
  sgw_worker_t *w = c->worker;

  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  w->nconns--;
  sgw_buf_free(&c->pending);
  sgw_buf_free(&c->req.head);
  sgw_buf_free(&c->req.body);
  sgw_buf_free(&c->req.scratch);
  free(c->req.hdrs);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  sgw_conn_t *c = h->data;

  if (--c->handles == 0)
    conn_free(c);
}

void sgw_conn_close(sgw_conn_t *c) {
  if (c->handles < 3 || uv_is_closing((uv_handle_t *)&c->tcp))
    return;
  c->closing = 1;
  if (c->req.running)
    sgw_dispatch_abort(&c->req);
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->req.timer, on_handle_closed);
}

static void on_linger_timeout(uv_timer_t *t) {
  sgw_conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  sgw_conn_t *c = req->data;

  free(req);
  if (status < 0 || uv_is_closing((uv_handle_t *)&c->tcp)) {
    sgw_conn_close(c);
    return;
  }
  /* Keep reading (and discarding) briefly so unread request bytes do not
   * turn our close into a reset that destroys the response in flight. */
  uv_timer_start(&c->timer, on_linger_timeout, SGW__LINGER_MS, 0);
}

/* Closes after everything queued has been written. */
static void conn_close_after_write(sgw_conn_t *c) {
  uv_shutdown_t *req;

  c->closing = 1;
  if (uv_is_closing((uv_handle_t *)&c->tcp))
    return;
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

static size_t conn_queued(sgw_conn_t *c) {
  return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

static void on_write(uv_write_t *req, int status) {
  conn_write_t *wr = (conn_write_t *)req;
  sgw_conn_t *c = wr->conn;

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
   * goes on if it paused for us. */
  if (!c->req.running && !c->in_message)
    conn_arm_timer(c);
  conn_drive(c);
}

/* Writes out[0..len) now if the socket takes it, else queues a copy. */
static void conn_write(sgw_conn_t *c, const char *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  conn_write_t *wr;
  int n = 0;

  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0)
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
  }
}

/* The request is answered: get ready for the next one. */
static void conn_finish_request(sgw_conn_t *c) {
  c->req.running = 0;
  c->error_status = 0;
  if (!c->keep_alive) {
    conn_close_after_write(c);
    return;
  }
  llhttp_resume(&c->parser);
  conn_arm_timer(c);
  conn_drive(c);
}

void sgw_conn_respond(sgw_conn_t *c, int status, const char *content_type,
                      const char *headers, size_t headers_len,
                      const char *body, size_t body_len) {
  sgw_worker_t *w = c->worker;
  sgw_buf_t *out = &w->out;

  if (c->closing)
    return;
  sgw_buf_reset(out);
  if (sgw_response_head(out, status, sgw_worker_date(w), content_type,
                        body_len, c->req.id, c->keep_alive, headers,
                        headers_len) < 0 ||
      sgw_buf_append(out, body, body_len) < 0) {
    sgw_log_error("out of memory writing a response; closing");
    sgw_conn_close(c);
    return;
  }
  conn_write(c, out->base, out->len);
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    conn_finish_request(c);
}

void sgw_conn_respond_error(sgw_conn_t *c, int status, const char *code,
                            const char *message, const char *headers) {
  sgw_buf_t body;

  sgw_buf_init(&body);
  if (sgw_buf_appendf(&body, "{\"error\":\"%s\",\"message\":", code) < 0 ||
      sgw_json_string(&body, message, strlen(message)) < 0 ||
      sgw_buf_appends(&body, "}") < 0) {
    sgw_buf_free(&body);
    sgw_conn_close(c);
    return;
  }
  sgw_conn_respond(c, status, "application/json", headers,
                   headers ? strlen(headers) : 0, body.base, body.len);
  sgw_buf_free(&body);
}

/* ---- parsing loop ---------------------------------------------------- */

/* 16 hex digits: the worker's random prefix, then its counter. */
static void conn_new_request_id(sgw_conn_t *c) {
  sgw_worker_t *w = c->worker;
  uint64_t v = (uint64_t)w->id_prefix << 32 | (uint32_t)++w->next_request;
  unsigned char raw[8];

  for (int i = 7; i >= 0; i--, v >>= 8)
    raw[i] = (unsigned char)v;
  sgw_hex_encode(raw, sizeof(raw), c->req.id);
}

static void conn_parse_error(sgw_conn_t *c, llhttp_errno_t err) {
  int status = c->error_status ? c->error_status : 400;
  const char *code = status == 400 ? "bad_request"
                     : status == 413 ? "body_too_large"
                     : status == 414 ? "uri_too_long"
                     : status == 431 ? "headers_too_large"
                                     : "internal";

  if (status == 400)
    sgw_log_info("bad request from client: %s (%s)", llhttp_errno_name(err),
                 llhttp_get_error_reason(&c->parser));
  c->keep_alive = 0;
  c->pending.len = 0;
  conn_new_request_id(c);
  sgw_conn_respond_error(c, status, code,
                         status == 400 ? "malformed HTTP request"
                                       : sgw_response_reason(status),
                         NULL);
}

/* Keeps the last two bytes parsed, for conn_crlf_before() across reads. */
static void conn_keep_tail(sgw_conn_t *c, size_t used) {
  for (size_t i = used > 2 ? used - 2 : 0; i < used; i++) {
    c->tail[0] = c->tail[1];
    c->tail[1] = c->pending.base[i];
  }
}

/* llhttp 8 accepts a bare LF as the blank line that ends the trailers of
 * a chunked body (framing.c guards the head). Checks that the `used`
 * bytes parsed so far end in CRLF. */
static int conn_crlf_before(const sgw_conn_t *c, size_t used) {
  char a = used >= 2 ? c->pending.base[used - 2]
           : used == 1 ? c->tail[1] : c->tail[0];
  char b = used >= 1 ? c->pending.base[used - 1] : c->tail[1];

  return a == '\r' && b == '\n';
}

static void conn_framing_error(sgw_conn_t *c) {
  c->error_status = 400;
  conn_parse_error(c, HPE_CR_EXPECTED);
}

/* Parses pending bytes until they run out, a handler is in flight, or the
 * connection is closing. The parser pauses after each message, so
 * pipelined requests are taken one at a time. Re-entrant calls (a handler
 * answering at once from inside the loop) return and let the outer loop
 * go on. */
static void conn_drive(sgw_conn_t *c) {
  llhttp_errno_t err;
  size_t used;

  if (c->driving)
    return;
  c->driving = 1;
  while (!c->closing && !c->req.running && c->pending.len > 0 &&
         conn_queued(c) < SGW__MAX_QUEUED) {
    c->check_crlf = 0;
    err = llhttp_execute(&c->parser, c->pending.base, c->pending.len);
    if (err == HPE_OK) {
      if (sgw_framing_feed(&c->framing, c->pending.base, c->pending.len)) {
        conn_framing_error(c);
        break;
      }
      conn_keep_tail(c, c->pending.len);
      c->pending.len = 0;
      break;
    }
    if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
      conn_parse_error(c, err);
      break;
    }
    used = (size_t)(llhttp_get_error_pos(&c->parser) - c->pending.base);
    if (sgw_framing_feed(&c->framing, c->pending.base, used) ||
        !sgw_framing_head_done(&c->framing) ||
        (c->check_crlf && !conn_crlf_before(c, used))) {
      conn_framing_error(c);
      break;
    }
    sgw_framing_reset(&c->framing);
    conn_keep_tail(c, used);
    memmove(c->pending.base, c->pending.base + used, c->pending.len - used);
    c->pending.len -= used;
    if (err == HPE_PAUSED_UPGRADE)
      c->keep_alive = 0; /* no protocol switch: answer, then close */
    uv_timer_stop(&c->timer);
    conn_new_request_id(c);
    c->req.running = 1;
    sgw_dispatch(c);
  }
  c->driving = 0;
  if (!c->closing && !c->reading &&
      c->pending.len < c->worker->limits->max_header_bytes) {
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
      c->reading = 1;
  }
}

/* ---- reading and timers ---------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  sgw_conn_t *c = h->data;

  (void)size;
  *buf = uv_buf_init(c->worker->readbuf, SGW_WORKER_READBUF);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sgw_conn_t *c = s->data;

  if (nread == 0)
    return;
  if (nread < 0) {
    /* A half-closed client still gets the answer to what it sent. */
    if (nread == UV_EOF && c->req.running && !c->closing) {
      c->keep_alive = 0;
      uv_read_stop(s);
      c->reading = 0;
      c->eof = 1;
      return;
    }
    sgw_conn_close(c);
    return;
  }
  if (c->closing) /* lingering: discard */
    return;
  if (sgw_buf_append(&c->pending, buf->base, (size_t)nread) < 0) {
    sgw_conn_close(c);
    return;
  }
  /* Stop reading while a handler runs and enough is queued: backpressure
   * for clients that pipeline without end. */
  if (c->pending.len >= c->worker->limits->max_header_bytes) {
    uv_read_stop(s);
    c->reading = 0;
  }
  conn_drive(c);
}

static void on_timeout(uv_timer_t *t) {
  sgw_conn_t *c = t->data;

  if (c->in_message && !c->req.running) {
    c->keep_alive = 0;
    conn_new_request_id(c);
    sgw_conn_respond_error(c, 408, "request_timeout",
                           "request not received in time", NULL);
    return;
  }
  sgw_conn_close(c);
}

static void conn_arm_timer(sgw_conn_t *c) {
  const sgw_limits_t *l = c->worker->limits;
  unsigned ms = conn_queued(c) > 0 ? l->send_timeout_ms
                : c->pending.len > 0 ? l->header_timeout_ms
                                     : l->idle_timeout_ms;

  if (c->eof) {
    conn_close_after_write(c);
    return;
  }
  uv_timer_start(&c->timer, on_timeout, ms, 0);
}

/* ---- accepting ------------------------------------------------------- */

static void conn_init_parser(sgw_conn_t *c) {
  static llhttp_settings_t settings;

  if (settings.on_message_complete == NULL) {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = on_message_begin;
    s.on_url = on_url;
    s.on_header_field = on_header_field;
    s.on_header_value = on_header_value;
    s.on_headers_complete = on_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    settings = s;
  }
  llhttp_init(&c->parser, HTTP_REQUEST, &settings);
  c->parser.data = c;
}

static void on_refused_closed(uv_handle_t *h) { free(h->data); }

static sgw_conn_t *conn_new(sgw_worker_t *w) {
  sgw_conn_t *c = calloc(1, sizeof(*c));

  if (c == NULL || uv_tcp_init(&w->loop, &c->tcp) < 0) {
    free(c);
    return NULL;
  }
  c->worker = w;
  c->tcp.data = c;
  c->handles = 1;
  return c;
}

/* The socket is connected: set up the rest and start reading. */
static void conn_start(sgw_conn_t *c) {
  sgw_worker_t *w = c->worker;

  uv_timer_init(&w->loop, &c->timer);
  uv_timer_init(&w->loop, &c->req.timer);
  c->timer.data = c->req.timer.data = c;
  c->handles = 3;
  c->req.conn = c;
  sgw_buf_init(&c->pending);
  sgw_buf_init(&c->req.head);
  sgw_buf_init(&c->req.body);
  sgw_buf_init(&c->req.scratch);
  conn_init_parser(c);
  uv_tcp_nodelay(&c->tcp, 1);
  c->next = w->conns;
  if (w->conns)
    w->conns->prev = c;
  w->conns = c;
  w->nconns++;
  conn_arm_timer(c);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = 1;
  else
    sgw_conn_close(c);
}

void sgw_conn_accept(sgw_worker_t *w, uv_stream_t *server) {
  sgw_conn_t *c = conn_new(w);

  if (c == NULL)
    return;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
      w->nconns >= w->limits->max_connections) {
    /* Refused: close at once; everyone already connected carries on. */
    uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
    return;
  }
  conn_start(c);
}

int sgw_conn_open(sgw_worker_t *w, uv_os_sock_t fd) {
  sgw_conn_t *c = conn_new(w);
  int rc;

  if (c == NULL)
    return UV_ENOMEM;
  if ((rc = uv_tcp_open(&c->tcp, fd)) < 0) {
    uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
    return rc;
  }
  conn_start(c);
  return 0;
}
