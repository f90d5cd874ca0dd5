/* What llhttp reports while a request is parsed: the request line and
 * headers into the request state's head buffer (with their bounds), the
 * body (kept, dropped or passed up to a streaming handler) and the end of
 * each message, where the parser pauses so conn_drive takes requests one
 * at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/conn.h"

static sgw_http_req_t *req_of(llhttp_t *p) { return p->data; }

static int fail(sgw_http_req_t *r, int status) {
  r->error_status = status;
  return -1;
}

static int on_message_begin(llhttp_t *p) {
  sgw_http_req_t *r = req_of(p);
  sgw_conn_t *c = r->conn;

  r->in_message = 1;
  r->start_ns = uv_hrtime();
  /* From the first byte, the whole request must arrive in time. */
  sgw_deadline_start(&c->server->deadlines, &c->dl, SGW_DL_HEADER,
                     c->server->limits->header_timeout_ms);
  sgw_buf_reset(&r->head);
  sgw__server_account(c->server, 0, r->body.len);
  sgw_buf_reset(&r->body);
  r->url_off = r->url_len = r->path_len = r->body_seen = 0;
  r->method = NULL;
  r->nhdrs = 0;
  r->hdr_state = 0;
  r->keep_body = r->head_only = 0;
  r->stream = r->head_up = r->streaming = r->body_paused = r->discard = 0;
  r->max_body = c->server->limits->max_body;
  return 0;
}

static int head_append(sgw_http_req_t *r, const char *at, size_t len) {
  if (r->head.len + len > r->conn->server->limits->max_header_bytes)
    return fail(r, 431);
  if (sgw_buf_append(&r->head, at, len) < 0)
    return fail(r, 500);
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  sgw_http_req_t *r = req_of(p);

  if (r->url_len + len > r->conn->server->limits->max_url)
    return fail(r, 414);
  r->url_len += len;
  return head_append(r, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
  sgw_http_req_t *r = req_of(p);

  /* A space before the colon, say: how requests get smuggled. */
  if (!sgw_http_token(at, len))
    return fail(r, 400);
  if (r->hdr_state != 1) {
    if (r->nhdrs == r->conn->server->limits->max_headers)
      return fail(r, 431);
    if (r->nhdrs == r->hdr_cap) {
      unsigned cap = r->hdr_cap ? r->hdr_cap * 2 : 8;
      sgw_hdr_t *h = realloc(r->hdrs, cap * sizeof(*h));
      if (h == NULL)
        return fail(r, 500);
      r->hdrs = h;
      r->hdr_cap = cap;
    }
    r->hdrs[r->nhdrs++] = (sgw_hdr_t){.name_off = (uint32_t)r->head.len};
    r->hdr_state = 1;
  }
  r->hdrs[r->nhdrs - 1].name_len += (uint32_t)len;
  return head_append(r, at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
  sgw_http_req_t *r = req_of(p);
  sgw_hdr_t *h = &r->hdrs[r->nhdrs - 1];

  /* Line breaks and folds are the framing scanner's; this catches a lone
   * CR, which the parser would keep in the value. */
  if (memchr(at, '\r', len) != NULL || memchr(at, '\n', len) != NULL)
    return fail(r, 400);
  if (r->hdr_state != 2) {
    h->value_off = (uint32_t)r->head.len;
    r->hdr_state = 2;
  }
  h->value_len += (uint32_t)len;
  return head_append(r, at, len);
}

/* HTTP/1.1 requires exactly one Host header (RFC 9112 section 3.2). */
static int host_ok(llhttp_t *p, const sgw_http_req_t *r) {
  unsigned n = 0;

  for (unsigned i = 0; i < r->nhdrs; i++)
    n += r->hdrs[i].name_len == 4 &&
         strncasecmp(r->head.base + r->hdrs[i].name_off, "host", 4) == 0;
  if (p->http_major == 1 && p->http_minor >= 1)
    return n == 1;
  return n <= 1;
}

static int on_headers_complete(llhttp_t *p) {
  sgw_http_req_t *r = req_of(p);
  sgw_conn_t *c = r->conn;
  const sgw_http_handler_t *h = &c->server->handler;
  const char *url = r->head.base + r->url_off;
  const char *q = memchr(url, '?', r->url_len);

  if (r->url_len == 0)
    return fail(r, 400);
  r->path_len = q ? (size_t)(q - url) : r->url_len;
  r->method = llhttp_method_name(llhttp_get_method(p));
  if (!host_ok(p, r))
    return fail(r, 400);
  /* RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is faulty
   * framing; refusing it is the safe reading. */
  if ((p->flags & F_TRANSFER_ENCODING) && p->http_major == 1 &&
      p->http_minor == 0)
    return fail(r, 400);
  /* We switch to no other protocol: an Upgrade (h2c, websocket) is
   * ignored and the connection stays HTTP/1.1, as nginx does. CONNECT
   * turns the rest of the stream into a tunnel: answer it, then close. */
  if (llhttp_get_method(p) == HTTP_CONNECT)
    c->keep_alive = 0;
  else
    p->upgrade = 0;
  r->head_only = llhttp_get_method(p) == HTTP_HEAD;
  switch (h->on_head != NULL ? h->on_head(r, h->ud) : SGW_HTTP_BODY_DROP) {
  case SGW_HTTP_BODY_KEEP: r->keep_body = 1; break;
  case SGW_HTTP_BODY_STREAM:
    r->stream = h->on_body != NULL && llhttp_get_method(p) != HTTP_CONNECT;
    break;
  default: break;
  }
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r->max_body)
    return fail(r, 413);
  if (r->stream) { /* hand it up now: conn_drive */
    r->pause_at = SGW__PAUSE_HEAD;
    return HPE_PAUSED;
  }
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  sgw_http_req_t *r = req_of(p);
  sgw_conn_t *c = r->conn;
  sgw_server_t *s = c->server;
  int rc;

  /* Counted even when dropped: a body has the same bound either way. */
  r->body_seen += len;
  if (r->body_seen > r->max_body)
    return fail(r, 413);
  if (len == 0) /* the parser restarting a span on empty input */
    return 0;
  if (r->streaming) {
    rc = s->handler.on_body(r, at, len, s->handler.ud);
    if (c->closing) /* the handler gave up: stop here */
      return HPE_PAUSED;
    /* Answered meanwhile: the rest is dropped (streaming is off). */
    if (r->streaming && rc == SGW_HTTP_PAUSE) {
      r->body_paused = 1;
      r->pause_at = SGW__PAUSE_BODY;
      /* Waiting on us is no client's fault: no timeout meanwhile. */
      sgw_deadline_stop(&s->deadlines, &c->dl);
      return HPE_PAUSED;
    }
    return 0;
  }
  if (!r->keep_body)
    return 0;
  if (sgw_buf_append(&r->body, at, len) < 0)
    return fail(r, 500);
  sgw__server_account(s, len, 0);
  return 0;
}

/* A chunk larger than what the body may still hold is refused at its
 * size line, before its bytes arrive. */
static int on_chunk_header(llhttp_t *p) {
  sgw_http_req_t *r = req_of(p);

  if (p->content_length > r->max_body - r->body_seen)
    return fail(r, 413);
  return 0;
}

static int on_message_complete(llhttp_t *p) {
  sgw_http_req_t *r = req_of(p);
  sgw_conn_t *c = r->conn;

  /* While the server drains, every answer is the connection's last. */
  if (!llhttp_should_keep_alive(p) || c->server->draining)
    c->keep_alive = 0;
  r->in_message = 0;
  /* A chunked message ends with the blank line after its trailers. */
  r->check_crlf = (p->flags & F_CHUNKED) != 0;
  r->pause_at = SGW__PAUSE_MESSAGE;
  return HPE_PAUSED; /* one request at a time: see conn_drive */
}

void sgw__parse_init(sgw_http_req_t *r) {
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
    s.on_chunk_header = on_chunk_header;
    s.on_message_complete = on_message_complete;
    settings = s;
  }
  llhttp_init(&r->parser, HTTP_REQUEST, &settings);
  r->parser.data = r;
}
