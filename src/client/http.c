#include "client/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signgw/buf.h"
#include "signgw/error.h"

#define SGW__HTTP_MAX_HEADER_BYTES (64 * 1024)
#define SGW__HTTP_MAX_METHOD 32

enum { CALL_QUEUED, CALL_ACTIVE, CALL_DONE };
enum { OVER_NONE, OVER_BODY, OVER_HEADERS, OVER_NOMEM };

/* One socket libcurl asked us to watch. */
typedef struct sgw__http_sock_s {
  uv_poll_t poll;
  curl_socket_t fd;
  sgw_http_client_t *client;
  struct sgw__http_sock_s *prev, *next;
} sock_t;

typedef struct call_list_s {
  sgw_http_call_t *head, *tail;
  size_t n;
} call_list_t;

struct sgw_http_call_s {
  sgw_http_client_t *client;
  sgw_http_call_t *prev, *next; /* in client->active or client->queue */
  CURL *easy;
  struct curl_slist *req_headers;
  sgw_http_cb cb;
  void *data;
  uint64_t deadline; /* loop time (ms) at which the total timeout ends */
  int state;
  int over;      /* why a write callback refused: OVER_* */
  sgw_buf_t body;
  sgw_buf_t hdrs; /* "name\0value\0" pairs of the latest response head */
  size_t nhdrs;
  char errtext[128];
};

struct sgw_http_client_s {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t curl_timer;  /* libcurl's own timeouts */
  uv_timer_t queue_timer; /* starts waiting calls, expires them */
  call_list_t active, queue;
  sock_t *socks;
  char *ca_file;
  uint32_t connect_timeout_ms, timeout_ms, max_concurrent, max_queued;
  size_t max_body;
  int closing;
  unsigned handles; /* open or closing libuv handles */
  sgw_http_closed_cb on_closed;
  void *closed_data;
};

/* ---- lists ---- */

static void list_push(call_list_t *l, sgw_http_call_t *c) {
  c->next = NULL;
  c->prev = l->tail;
  if (l->tail)
    l->tail->next = c;
  else
    l->head = c;
  l->tail = c;
  l->n++;
}

static void list_remove(call_list_t *l, sgw_http_call_t *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    l->head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    l->tail = c->prev;
  c->prev = c->next = NULL;
  l->n--;
}

/* ---- global ---- */

int sgw_http_global_init(const char **why) {
  const curl_version_info_data *v;
  const char *msg = NULL;

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    if (why)
      *why = "libcurl could not be initialised";
    return SGW_EIO;
  }
  v = curl_version_info(CURLVERSION_NOW);
  if (v->version_num < 0x075500)
    msg = "libcurl 7.85 or newer is needed";
  else if (!(v->features & CURL_VERSION_ASYNCHDNS))
    msg = "libcurl has no asynchronous resolver: DNS would block the loop";
  else if (!(v->features & CURL_VERSION_SSL))
    msg = "libcurl has no TLS support";
  if (msg != NULL) {
    curl_global_cleanup();
    if (why)
      *why = msg;
    return SGW_EINVAL;
  }
  return 0;
}

void sgw_http_global_cleanup(void) { curl_global_cleanup(); }

void sgw_http_opts_init(sgw_http_opts_t *o) {
  *o = (sgw_http_opts_t){.ca_file = NULL,
                         .connect_timeout_ms = 5000,
                         .timeout_ms = 10000,
                         .max_body = 1024 * 1024,
                         .max_concurrent = 64,
                         .max_queued = 1024};
}

/* ---- calls ---- */

static void call_free(sgw_http_call_t *call) {
  if (call->easy)
    curl_easy_cleanup(call->easy);
  curl_slist_free_all(call->req_headers);
  sgw_buf_free(&call->body);
  sgw_buf_free(&call->hdrs);
  free(call);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  sgw_http_call_t *call = ud;
  size_t len = size * n;

  if (len > call->client->max_body - call->body.len) {
    call->over = OVER_BODY;
    return 0; /* anything but len aborts the transfer */
  }
  if (sgw_buf_append(&call->body, p, len) < 0) {
    call->over = OVER_NOMEM;
    return 0;
  }
  return len;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Keeps the head of the latest response only: a status line (after a
 * 1xx or a followed redirect) starts over. */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  sgw_http_call_t *call = ud;
  size_t len = size * n, nlen, vlen;
  const char *colon, *v;
  int rc = 0;

  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    sgw_buf_reset(&call->hdrs);
    call->nhdrs = 0;
    call->body.len = 0; /* a body of an earlier response is not ours */
    return len;
  }
  while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
    len--;
  /* Blank end of head, an obsolete folded line, or no colon: nothing. */
  if (len == 0 || is_space(p[0]) || (colon = memchr(p, ':', len)) == NULL ||
      colon == p)
    return size * n;
  if (call->hdrs.len + len + 2 > SGW__HTTP_MAX_HEADER_BYTES) {
    call->over = OVER_HEADERS;
    return 0;
  }
  nlen = (size_t)(colon - p);
  v = colon + 1;
  vlen = len - nlen - 1;
  while (vlen > 0 && is_space(*v))
    v++, vlen--;
  while (vlen > 0 && is_space(v[vlen - 1]))
    vlen--;
  for (size_t i = 0; rc == 0 && i < nlen; i++) {
    char c = p[i];
    rc = sgw_buf_appendc(&call->hdrs, c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  if (rc == 0)
    rc = sgw_buf_appendc(&call->hdrs, '\0');
  if (rc == 0)
    rc = sgw_buf_append(&call->hdrs, v, vlen);
  if (rc == 0)
    rc = sgw_buf_appendc(&call->hdrs, '\0');
  if (rc < 0) {
    call->over = OVER_NOMEM;
    return 0;
  }
  call->nhdrs++;
  return size * n;
}

/* Maps a libcurl result to an SGW_E* code and a fixed text. curl's own
 * error buffer is never used: it can name hosts and paths. */
static int map_result(sgw_http_call_t *call, CURLcode code) {
  const char *text = NULL;
  long verify = 0, oserr = 0;
  curl_off_t pretransfer = 0;
  int err;

  switch (code) {
  case CURLE_OK:
    return 0;
  case CURLE_OPERATION_TIMEDOUT:
    curl_easy_getinfo(call->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    err = SGW_ETIMEDOUT;
    text = pretransfer == 0 ? "timed out connecting"
                            : "timed out waiting for the answer";
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
    err = SGW_ECONN;
    text = "could not resolve the host name";
    break;
  case CURLE_COULDNT_CONNECT:
    err = SGW_ECONN;
    text = "could not connect (refused or unreachable)";
    break;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    err = SGW_ECONN;
    text = "the connection was reset";
    break;
  case CURLE_GOT_NOTHING:
    err = SGW_ECONN;
    text = "the connection closed without an answer";
    break;
  case CURLE_PARTIAL_FILE:
    err = SGW_ECONN;
    text = "the connection closed before the answer was complete";
    break;
  case CURLE_PEER_FAILED_VERIFICATION:
    err = SGW_ETLS;
    curl_easy_getinfo(call->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
    /* A chain OpenSSL rejects fails the handshake and leaves its reason.
     * A host name mismatch is found by libcurl after a good handshake,
     * with the result still at OK or at libcurl's initial "unspecified". */
    if (verify == X509_V_OK || verify == X509_V_ERR_UNSPECIFIED) {
      text = "TLS certificate does not match the host name";
    } else {
      /* OpenSSL's reason is a fixed string per code. */
      snprintf(call->errtext, sizeof(call->errtext),
               "TLS certificate not trusted: %s",
               X509_verify_cert_error_string(verify));
    }
    break;
  case CURLE_SSL_CONNECT_ERROR:
    /* A peer that hangs up mid-handshake is a connection failure. */
    curl_easy_getinfo(call->easy, CURLINFO_OS_ERRNO, &oserr);
    if (oserr == ECONNRESET || oserr == EPIPE || oserr == ECONNABORTED) {
      err = SGW_ECONN;
      text = "the connection was reset during the TLS handshake";
    } else {
      err = SGW_ETLS;
      text = "TLS handshake failed";
    }
    break;
  case CURLE_SSL_CACERT_BADFILE:
    err = SGW_ETLS;
    text = "the CA file could not be used";
    break;
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
    err = SGW_ETLS;
    text = curl_easy_strerror(code); /* fixed text per code */
    break;
  case CURLE_FILESIZE_EXCEEDED:
    err = SGW_ETOOBIG;
    text = "response body over the size cap";
    break;
  case CURLE_WRITE_ERROR:
    if (call->over == OVER_BODY) {
      err = SGW_ETOOBIG;
      text = "response body over the size cap";
    } else if (call->over == OVER_HEADERS) {
      err = SGW_ETOOBIG;
      text = "response headers over the size limit";
    } else {
      err = SGW_ENOMEM;
      text = "out of memory";
    }
    break;
  case CURLE_TOO_MANY_REDIRECTS:
    err = SGW_EPROTO;
    text = "too many redirects";
    break;
  case CURLE_UNSUPPORTED_PROTOCOL:
    err = SGW_EPROTO;
    text = "redirected to a scheme other than http or https";
    break;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_BAD_CONTENT_ENCODING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_RANGE_ERROR:
    err = SGW_EPROTO;
    text = "malformed answer";
    break;
  case CURLE_OUT_OF_MEMORY:
    err = SGW_ENOMEM;
    text = "out of memory";
    break;
  default:
    err = SGW_EIO;
    text = curl_easy_strerror(code);
    break;
  }
  if (text != NULL)
    snprintf(call->errtext, sizeof(call->errtext), "%s", text);
  return err;
}

/* Runs the callback once and frees the call. */
static void finish(sgw_http_call_t *call, int err) {
  sgw_http_response_t res = {.status = 0, .body = "", .body_len = 0};
  sgw_http_header_t *hv = NULL;
  long status = 0;

  if (call->easy != NULL &&
      curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status) ==
          CURLE_OK)
    res.status = (int)status;
  if (err == 0 && call->nhdrs > 0) {
    const char *p = call->hdrs.base;
    if ((hv = malloc(call->nhdrs * sizeof(*hv))) == NULL) {
      err = SGW_ENOMEM;
      snprintf(call->errtext, sizeof(call->errtext), "out of memory");
    }
    for (size_t i = 0; hv != NULL && i < call->nhdrs; i++) {
      hv[i].name = p;
      p += strlen(p) + 1;
      hv[i].value = p;
      p += strlen(p) + 1;
    }
  }
  if (err == 0) {
    res.body = call->body.base ? call->body.base : "";
    res.body_len = call->body.len;
    res.headers = hv;
    res.nheaders = hv ? call->nhdrs : 0;
  }
  call->state = CALL_DONE;
  call->cb(call, err, err ? call->errtext : NULL, &res, call->data);
  free(hv);
  call_free(call);
}

static void finish_error(sgw_http_call_t *call, int err, const char *text) {
  snprintf(call->errtext, sizeof(call->errtext), "%s", text);
  finish(call, err);
}

/* Hands the call to libcurl with what is left of its total timeout. */
static int start(sgw_http_client_t *c, sgw_http_call_t *call,
                 uint64_t remaining) {
  long total = remaining > 0x7fffffff ? 0x7fffffff : (long)remaining;
  long conn = total < (long)c->connect_timeout_ms ? total
                                                  : (long)c->connect_timeout_ms;

  if (curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, total) != CURLE_OK ||
      curl_easy_setopt(call->easy, CURLOPT_CONNECTTIMEOUT_MS, conn) !=
          CURLE_OK ||
      curl_multi_add_handle(c->multi, call->easy) != CURLM_OK)
    return SGW_ENOMEM;
  call->state = CALL_ACTIVE;
  list_push(&c->active, call);
  return 0;
}

static void on_queue(uv_timer_t *t);

/* Sets the queue timer: at once when a slot is free for a waiting call
 * (the queue moves on the next loop turn, never inside the API call or
 * callback that freed the slot), else at the earliest deadline. */
static void arm_queue(sgw_http_client_t *c) {
  uint64_t now = uv_now(c->loop), first = UINT64_MAX;

  if (c->closing)
    return;
  if (c->queue.n > 0 && c->active.n < c->max_concurrent)
    first = now;
  for (sgw_http_call_t *q = c->queue.head; q != NULL; q = q->next)
    if (q->deadline < first)
      first = q->deadline;
  if (first == UINT64_MAX)
    uv_timer_stop(&c->queue_timer);
  else
    uv_timer_start(&c->queue_timer, on_queue, first > now ? first - now : 0,
                   0);
}

static void on_queue(uv_timer_t *t) {
  sgw_http_client_t *c = t->data;
  uint64_t now = uv_now(c->loop);
  sgw_http_call_t *call;
  int rc;

  /* Expire first: a call that ran out of time while waiting fails even if
   * a slot is free now. Each callback may change the queue: rescan. */
  while (!c->closing) {
    for (call = c->queue.head; call != NULL; call = call->next)
      if (call->deadline <= now)
        break;
    if (call == NULL)
      break;
    list_remove(&c->queue, call);
    finish_error(call, SGW_ETIMEDOUT, "timed out waiting for a free slot");
  }
  while (!c->closing && c->active.n < c->max_concurrent &&
         (call = c->queue.head) != NULL) {
    list_remove(&c->queue, call);
    if ((rc = start(c, call, call->deadline - now)) < 0)
      finish_error(call, rc, "could not start the transfer");
  }
  arm_queue(c);
}

/* ---- libcurl on libuv ---- */

static void check_done(sgw_http_client_t *c) {
  CURLMsg *m;
  int left;

  /* The client may close inside a callback: stop reading its multi. */
  while (!c->closing && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
    sgw_http_call_t *call = NULL;
    CURLcode code;
    if (m->msg != CURLMSG_DONE)
      continue;
    code = m->data.result; /* m dies with the removal below */
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
    list_remove(&c->active, call);
    curl_multi_remove_handle(c->multi, call->easy);
    arm_queue(c);
    finish(call, map_result(call, code));
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  sgw_http_client_t *c = s->client;
  int flags = 0, running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(c->multi, s->fd, flags, &running);
  check_done(c);
}

static void on_curl_timer(uv_timer_t *t) {
  sgw_http_client_t *c = t->data;
  int running;

  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(c);
}

static void maybe_freed(sgw_http_client_t *c) {
  sgw_http_closed_cb cb;
  void *data;

  if (!c->closing || c->handles > 0)
    return;
  cb = c->on_closed;
  data = c->closed_data;
  free(c->ca_file);
  free(c);
  if (cb)
    cb(data);
}

static void on_handle_closed(uv_handle_t *h) {
  sgw_http_client_t *c = h->data;

  c->handles--;
  maybe_freed(c);
}

static void on_sock_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  sgw_http_client_t *c = s->client;

  free(s);
  c->handles--;
  maybe_freed(c);
}

static void sock_close(sgw_http_client_t *c, sock_t *s) {
  if (s->prev)
    s->prev->next = s->next;
  else
    c->socks = s->next;
  if (s->next)
    s->next->prev = s->prev;
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd as libcurl asks. Runs inside libcurl:
 * touches libuv only. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                          void *socketp) {
  sgw_http_client_t *c = userp;
  sock_t *s = socketp;
  int events = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (s != NULL) {
      curl_multi_assign(c->multi, fd, NULL);
      sock_close(c, s);
    }
    return 0;
  }
  if (s == NULL) {
    if ((s = calloc(1, sizeof(*s))) == NULL)
      return -1;
    if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
      free(s);
      return -1;
    }
    s->poll.data = s;
    s->fd = fd;
    s->client = c;
    s->next = c->socks;
    if (c->socks)
      c->socks->prev = s;
    c->socks = s;
    c->handles++;
    curl_multi_assign(c->multi, fd, s);
  }
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for all of libcurl's deadlines. */
static int on_curl_timeout(CURLM *multi, long timeout_ms, void *userp) {
  sgw_http_client_t *c = userp;

  (void)multi;
  if (timeout_ms < 0)
    uv_timer_stop(&c->curl_timer);
  else
    uv_timer_start(&c->curl_timer, on_curl_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

/* ---- client ---- */

int sgw_http_client_new(uv_loop_t *loop, const sgw_http_opts_t *opts,
                        sgw_http_client_t **out) {
  sgw_http_client_t *c = NULL;
  FILE *f;
  int rc = SGW_ENOMEM;

  *out = NULL;
  if (opts->connect_timeout_ms == 0 || opts->timeout_ms == 0 ||
      opts->max_body == 0 || opts->max_concurrent == 0)
    return SGW_EINVAL;
  if (opts->ca_file != NULL) {
    if ((f = fopen(opts->ca_file, "r")) == NULL)
      return SGW_ENOENT;
    fclose(f);
  }
  if ((c = calloc(1, sizeof(*c))) == NULL)
    goto fail;
  c->loop = loop;
  c->connect_timeout_ms = opts->connect_timeout_ms;
  c->timeout_ms = opts->timeout_ms;
  c->max_body = opts->max_body;
  c->max_concurrent = opts->max_concurrent;
  c->max_queued = opts->max_queued;
  if (opts->ca_file != NULL && (c->ca_file = strdup(opts->ca_file)) == NULL)
    goto fail;
  if ((c->multi = curl_multi_init()) == NULL)
    goto fail;
  if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) ||
      curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) ||
      curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout) ||
      curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) ||
      /* Idle connections kept for reuse: one per possible transfer. */
      curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
                        (long)(c->max_concurrent > 0x7fffffff
                                   ? 0x7fffffff
                                   : c->max_concurrent)))
    goto fail;
  /* Timer init cannot fail on a live loop; from here on the client is
   * freed through its close callbacks. */
  uv_timer_init(loop, &c->curl_timer);
  uv_timer_init(loop, &c->queue_timer);
  c->curl_timer.data = c;
  c->queue_timer.data = c;
  c->handles = 2;
  *out = c;
  return 0;

fail:
  if (c != NULL) {
    if (c->multi)
      curl_multi_cleanup(c->multi);
    free(c->ca_file);
    free(c);
  }
  return rc;
}

void sgw_http_client_close(sgw_http_client_t *c, sgw_http_closed_cb on_closed,
                           void *data) {
  sgw_http_call_t *call;

  if (c == NULL || c->closing)
    return;
  c->closing = 1;
  c->on_closed = on_closed;
  c->closed_data = data;
  while ((call = c->active.head) != NULL) {
    list_remove(&c->active, call);
    curl_multi_remove_handle(c->multi, call->easy);
    call_free(call);
  }
  while ((call = c->queue.head) != NULL) {
    list_remove(&c->queue, call);
    call_free(call);
  }
  /* Closes the cached connections; their sockets leave through
   * on_curl_socket, and any it did not report are closed below. */
  curl_multi_cleanup(c->multi);
  c->multi = NULL;
  while (c->socks != NULL)
    sock_close(c, c->socks);
  uv_close((uv_handle_t *)&c->curl_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->queue_timer, on_handle_closed);
}

/* ---- requests ---- */

static int is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_token(const char *s, size_t max) {
  size_t n = 0;

  for (; s[n]; n++)
    if (n == max || !is_tchar((unsigned char)s[n]))
      return 0;
  return n > 0;
}

static int url_ok(const char *url) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL;
  int ok;

  if (u == NULL)
    return SGW_ENOMEM;
  ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
       curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
       curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
       (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
       host[0] != '\0';
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return ok ? 0 : SGW_EINVAL;
}

static int has_header(const sgw_http_request_t *req, const char *name) {
  for (size_t i = 0; i < req->nheaders; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return 1;
  return 0;
}

static int add_line(struct curl_slist **list, const char *line) {
  struct curl_slist *l = curl_slist_append(*list, line);

  if (l == NULL)
    return SGW_ENOMEM;
  *list = l;
  return 0;
}

static int add_header(struct curl_slist **list, const char *name,
                      const char *value) {
  sgw_buf_t line;
  int rc;

  sgw_buf_init(&line);
  /* "Name;" is libcurl's way to send an empty value ("Name:" removes). */
  rc = sgw_buf_appendf(&line, value[0] ? "%s: %s" : "%s;", name, value);
  if (rc == 0)
    rc = add_line(list, line.base);
  sgw_buf_free(&line);
  return rc < 0 ? SGW_ENOMEM : 0;
}

static int build_headers(const sgw_http_request_t *req,
                         struct curl_slist **list) {
  int rc = 0;

  for (size_t i = 0; rc == 0 && i < req->nheaders; i++) {
    const sgw_http_header_t *h = &req->headers[i];
    if (h->name == NULL || h->value == NULL || !is_token(h->name, 256) ||
        strpbrk(h->value, "\r\n") != NULL ||
        strcasecmp(h->name, "content-length") == 0 ||
        strcasecmp(h->name, "transfer-encoding") == 0)
      return SGW_EINVAL;
    rc = add_header(list, h->name, h->value);
  }
  /* libcurl's implicit extras would surprise a caller: a form
   * Content-Type on every body, "Expect: 100-continue" on large ones. */
  if (rc == 0 && !has_header(req, "content-type"))
    rc = add_line(list, "Content-Type:");
  if (rc == 0 && !has_header(req, "expect"))
    rc = add_line(list, "Expect:");
  return rc;
}

#define SET(opt, val) (curl_easy_setopt(e, opt, val) != CURLE_OK)

static int setup_easy(sgw_http_client_t *c, sgw_http_call_t *call,
                      const sgw_http_request_t *req, const char *method) {
  CURL *e = call->easy;
  int bad = 0, rc;
  int head = strcmp(method, "HEAD") == 0;

  if ((rc = build_headers(req, &call->req_headers)) < 0)
    return rc;
  bad |= SET(CURLOPT_PRIVATE, call);
  bad |= SET(CURLOPT_URL, req->url);
  bad |= SET(CURLOPT_PROTOCOLS_STR, "http,https");
  bad |= SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  bad |= SET(CURLOPT_NOSIGNAL, 1L);
  bad |= SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  bad |= SET(CURLOPT_PROXY, ""); /* no proxy from the environment */
  bad |= SET(CURLOPT_SSL_VERIFYPEER, 1L);
  bad |= SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (c->ca_file != NULL) {
    bad |= SET(CURLOPT_CAINFO, c->ca_file);
    bad |= SET(CURLOPT_CAPATH, NULL); /* the bundle alone, not the store */
  }
  bad |= SET(CURLOPT_FOLLOWLOCATION, req->max_redirects > 0 ? 1L : 0L);
  bad |= SET(CURLOPT_MAXREDIRS, (long)(req->max_redirects > 1000
                                           ? 1000
                                           : req->max_redirects));
  bad |= SET(CURLOPT_WRITEFUNCTION, on_body);
  bad |= SET(CURLOPT_WRITEDATA, call);
  bad |= SET(CURLOPT_HEADERFUNCTION, on_header);
  bad |= SET(CURLOPT_HEADERDATA, call);
  if (!head)
    bad |= SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
  bad |= SET(CURLOPT_HTTPHEADER, call->req_headers);
  if (head) {
    bad |= SET(CURLOPT_NOBODY, 1L);
  } else if (strcmp(method, "GET") == 0 && req->body == NULL) {
    bad |= SET(CURLOPT_HTTPGET, 1L);
  } else {
    /* A body, possibly empty: the size first, so the copy is exact. */
    bad |= SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    bad |= SET(CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
    if (strcmp(method, "POST") != 0)
      bad |= SET(CURLOPT_CUSTOMREQUEST, method);
  }
  /* Cancelling during a DNS lookup must not wait for the resolver
   * thread. Best effort: older libcurl lacks the option. */
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  return bad ? SGW_ENOMEM : 0;
}

#undef SET

int sgw_http_request(sgw_http_client_t *c, const sgw_http_request_t *req,
                     sgw_http_cb cb, void *data, sgw_http_call_t **out) {
  const char *method = req->method ? req->method : "GET";
  sgw_http_call_t *call = NULL;
  uint32_t timeout = req->timeout_ms ? req->timeout_ms : c->timeout_ms;
  int rc, waits;

  if (out)
    *out = NULL;
  if (c->closing)
    return SGW_ECANCELED;
  if (cb == NULL || req->url == NULL ||
      !is_token(method, SGW__HTTP_MAX_METHOD) ||
      (req->body == NULL && req->body_len > 0) ||
      (req->body != NULL && strcmp(method, "HEAD") == 0) ||
      (req->nheaders > 0 && req->headers == NULL))
    return SGW_EINVAL;
  if ((rc = url_ok(req->url)) < 0)
    return rc;
  /* FIFO: while anyone waits, a new call waits behind them. */
  waits = c->active.n >= c->max_concurrent || c->queue.n > 0;
  if (waits && c->queue.n >= c->max_queued)
    return SGW_EBUSY;
  if ((call = calloc(1, sizeof(*call))) == NULL)
    return SGW_ENOMEM;
  call->client = c;
  call->cb = cb;
  call->data = data;
  sgw_buf_init(&call->body);
  sgw_buf_init(&call->hdrs);
  if ((call->easy = curl_easy_init()) == NULL) {
    rc = SGW_ENOMEM;
    goto fail;
  }
  if ((rc = setup_easy(c, call, req, method)) < 0)
    goto fail;
  call->deadline = uv_now(c->loop) + timeout;
  if (!waits) {
    if ((rc = start(c, call, timeout)) < 0)
      goto fail;
  } else {
    call->state = CALL_QUEUED;
    list_push(&c->queue, call);
    arm_queue(c);
  }
  if (out)
    *out = call;
  return 0;

fail:
  call_free(call);
  return rc;
}

void sgw_http_call_cancel(sgw_http_call_t *call) {
  sgw_http_client_t *c;

  if (call == NULL || call->state == CALL_DONE)
    return;
  c = call->client;
  if (call->state == CALL_ACTIVE) {
    list_remove(&c->active, call);
    /* Removing an unfinished HTTP/1.1 transfer closes its connection. */
    curl_multi_remove_handle(c->multi, call->easy);
  } else {
    list_remove(&c->queue, call);
  }
  arm_queue(c);
  call_free(call);
}
