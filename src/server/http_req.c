/* The request accessors the handler sees, the server's pool of request
 * states, and the default error answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/conn.h"
#include "server/http.h"
#include "server/response.h"
#include "signgw/json.h"

/* Kept per worker for reuse; more are freed when given back. */
#define SGW__POOL_MAX 256
/* A buffer that grew past this (a big body, a long head) is freed when
 * its state goes back to the pool, so an idle worker holds little. */
#define SGW__KEEP_CAP 4096

const char *sgw_http_req_method(const sgw_http_req_t *r) {
  return r->method ? r->method : "";
}

const char *sgw_http_req_path(const sgw_http_req_t *r, size_t *len) {
  *len = r->path_len;
  return r->head.base ? r->head.base + r->url_off : "";
}

const char *sgw_http_req_query(const sgw_http_req_t *r, size_t *len) {
  if (r->head.base == NULL || r->path_len >= r->url_len) {
    *len = 0;
    return "";
  }
  *len = r->url_len - r->path_len - 1;
  return r->head.base + r->url_off + r->path_len + 1;
}

const char *sgw_http_req_header(const sgw_http_req_t *r, const char *name,
                                size_t name_len, size_t *value_len) {
  for (unsigned i = 0; i < r->nhdrs; i++) {
    const sgw_hdr_t *h = &r->hdrs[i];
    if (h->name_len == name_len &&
        strncasecmp(r->head.base + h->name_off, name, name_len) == 0) {
      *value_len = h->value_len;
      return r->head.base + h->value_off;
    }
  }
  return NULL;
}

unsigned sgw_http_req_nheaders(const sgw_http_req_t *r) { return r->nhdrs; }

void sgw_http_req_header_at(const sgw_http_req_t *r, unsigned i,
                            const char **name, size_t *name_len,
                            const char **value, size_t *value_len) {
  const sgw_hdr_t *h = &r->hdrs[i];

  *name = r->head.base + h->name_off;
  *name_len = h->name_len;
  *value = r->head.base + h->value_off;
  *value_len = h->value_len;
}

const char *sgw_http_req_body(const sgw_http_req_t *r, size_t *len) {
  *len = r->body.len;
  return r->body.base ? r->body.base : "";
}

void sgw_http_req_peer(const sgw_http_req_t *r, char *buf, size_t size) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);

  buf[0] = '\0';
  if (uv_tcp_getpeername(&r->conn->tcp, (struct sockaddr *)&ss, &len) != 0)
    return;
  if (ss.ss_family == AF_INET6)
    uv_ip6_name((struct sockaddr_in6 *)&ss, buf, size);
  else if (ss.ss_family == AF_INET)
    uv_ip4_name((struct sockaddr_in *)&ss, buf, size);
}

const char *sgw_http_req_id(const sgw_http_req_t *r) { return r->id; }
int sgw_http_req_error(const sgw_http_req_t *r) { return r->error_status; }
int sgw_http_req_head_only(const sgw_http_req_t *r) { return r->head_only; }
sgw_buf_t *sgw_http_req_scratch(sgw_http_req_t *r) { return &r->scratch; }
void *sgw_http_req_data(const sgw_http_req_t *r) { return r->data; }
void sgw_http_req_set_data(sgw_http_req_t *r, void *data) { r->data = data; }

const char *sgw_http_reason(int status) { return sgw_response_reason(status); }

/* RFC 9110 token characters. The parser hands names over in pieces,
 * some of them empty. */
int sgw_http_token(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= ' ' || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
      return 0;
  }
  return 1;
}

void sgw_http_respond_error(sgw_http_req_t *r, int status, const char *code,
                            const char *message, const char *headers) {
  sgw_buf_t *body = &r->scratch;

  sgw_buf_reset(body);
  if (sgw_buf_appends(body, "{\"error\":") < 0 ||
      sgw_json_string(body, code, strlen(code)) < 0 ||
      sgw_buf_appends(body, ",\"message\":") < 0 ||
      sgw_json_string(body, message, strlen(message)) < 0 ||
      sgw_buf_appends(body, "}") < 0) {
    sgw_http_respond(r, 500, NULL, NULL, 0, "", 0);
    return;
  }
  sgw_http_respond(r, status, "application/json", headers,
                   headers ? strlen(headers) : 0, body->base, body->len);
}

/* ---- the pool -------------------------------------------------------- */

sgw_http_req_t *sgw_http_req_take(sgw_server_t *s) {
  sgw_http_req_t *r = s->pool;

  if (r != NULL) {
    s->pool = r->next_free;
    s->npool--;
    r->next_free = NULL;
    return r;
  }
  return calloc(1, sizeof(*r));
}

static void req_trim(sgw_buf_t *b) {
  if (b->cap > SGW__KEEP_CAP)
    sgw_buf_free(b);
  else
    sgw_buf_reset(b);
}

static void req_free(sgw_http_req_t *r) {
  sgw_buf_free(&r->pending);
  sgw_buf_free(&r->head);
  sgw_buf_free(&r->body);
  sgw_buf_free(&r->scratch);
  free(r->hdrs);
  free(r);
}

void sgw_http_req_give(sgw_server_t *s, sgw_http_req_t *r) {
  if (s->npool >= SGW__POOL_MAX) {
    req_free(r);
    return;
  }
  req_trim(&r->pending);
  req_trim(&r->head);
  req_trim(&r->body);
  req_trim(&r->scratch);
  if (r->hdr_cap > 16) {
    free(r->hdrs);
    r->hdrs = NULL;
    r->hdr_cap = 0;
  }
  r->conn = NULL;
  r->data = NULL;
  r->nhdrs = 0;
  r->url_off = r->url_len = r->path_len = r->body_seen = 0;
  r->method = NULL;
  r->error_status = 0;
  r->in_message = r->running = r->keep_body = r->head_only = 0;
  r->stream = r->head_up = r->streaming = r->body_paused = r->discard = 0;
  r->answering = r->kick = 0;
  r->max_body = r->resp_left = 0;
  r->check_crlf = 0;
  r->tail[0] = r->tail[1] = 0;
  r->next_free = s->pool;
  s->pool = r;
  s->npool++;
}

void sgw_http_req_pool_free(sgw_server_t *s) {
  while (s->pool != NULL) {
    sgw_http_req_t *r = s->pool;
    s->pool = r->next_free;
    req_free(r);
  }
  s->npool = 0;
}
