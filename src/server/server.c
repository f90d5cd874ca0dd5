#define _GNU_SOURCE /* malloc_trim */
#include "server/server.h"

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "server/conn.h"

/* Give freed memory back to the system once this much that was buffered
 * has gone: glibc keeps it in the worker's arena otherwise, and an
 * attacker's burst would stay in RSS long after its connections. */
#define SGW__TRIM_AFTER (8u << 20)

#define SGW__CONN_OF_DL(e) \
  ((sgw_conn_t *)((char *)(e) - offsetof(sgw_conn_t, dl)))

const char *sgw_server_date(sgw_server_t *s) {
  time_t now = time(NULL);
  struct tm tm;

  if (now != s->date_sec) {
    gmtime_r(&now, &tm);
    strftime(s->date, sizeof(s->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    s->date_sec = now;
  }
  return s->date;
}

static void on_deadline(sgw_deadlines_t *d, sgw_deadline_t *e, int kind) {
  (void)d;
  sgw_conn_expired(SGW__CONN_OF_DL(e), kind);
}

int sgw_server_init(sgw_server_t *s, uv_loop_t *loop,
                    const sgw_limits_t *limits,
                    const sgw_http_handler_t *handler) {
  memset(s, 0, sizeof(*s));
  s->loop = loop;
  s->limits = limits;
  s->handler = *handler;
  sgw_buf_init(&s->out);
  sgw_buf_init(&s->tls_out);
  if ((s->readbuf = malloc(SGW_SERVER_READBUF)) == NULL)
    return UV_ENOMEM;
  sgw_deadlines_init(&s->deadlines, loop, on_deadline);
  s->deadlines.data = s;
  return 0;
}

/* A plain connection is a bare sgw_conn_t; a TLS one carries its TLS
 * state after it (server/tls.h). */
static sgw_conn_t *conn_new(sgw_server_t *s, sgw_tls_view_t *tls) {
  sgw_conn_t *c = calloc(1, tls ? sgw_tls_conn_size() : sizeof(*c));

  if (c == NULL)
    return NULL;
  c->server = s;
  if (tls != NULL && sgw_tls_conn_init(c, tls) < 0) {
    free(c);
    return NULL;
  }
  if (uv_tcp_init(s->loop, &c->tcp) < 0) {
    if (c->tls)
      sgw_tls_conn_free(c);
    else
      free(c);
    return NULL;
  }
  c->tcp.data = c;
  return c;
}

static void on_refused_closed(uv_handle_t *h) {
  sgw_conn_t *c = h->data;

  if (c->tls)
    sgw_tls_conn_free(c);
  else
    free(c);
}

/* Takes fd; on failure it is closed. */
static int server_adopt(sgw_server_t *s, uv_os_sock_t fd,
                        sgw_tls_view_t *tls) {
  sgw_conn_t *c;
  int rc;

  if (s->nconns >= s->limits->max_connections || s->draining ||
      (c = conn_new(s, tls)) == NULL) {
    /* Refused: close at once; everyone already connected carries on. */
    close(fd);
    return UV_EBUSY;
  }
  if ((rc = uv_tcp_open(&c->tcp, fd)) < 0) {
    close(fd);
    uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
    return rc;
  }
  sgw_conn_start(c);
  return 0;
}

static void on_accept(sgw_acceptor_t *a, int fd) {
  sgw_listener_t *l = a->data;

  server_adopt(l->server, fd, l->tls.tls ? &l->tls : NULL);
}

int sgw_server_listen(sgw_server_t *s, int fd, sgw_tls_t *tls) {
  sgw_listener_t *l;
  int rc;

  if (s->nlisteners == SGW_LISTEN_MAX) {
    close(fd);
    return UV_EINVAL;
  }
  l = &s->listeners[s->nlisteners++];
  l->server = s;
  sgw_tls_view_init(&l->tls, tls);
  rc = sgw_acceptor_start(&l->acceptor, s->loop, fd, on_accept);
  l->acceptor.data = l;
  l->accepting = rc == 0;
  return rc;
}

int sgw_server_open(sgw_server_t *s, uv_os_sock_t fd) {
  return server_adopt(s, fd, NULL);
}

void sgw_server_set_limits(sgw_server_t *s, const sgw_limits_t *limits) {
  s->limits = limits;
}

static void server_stop_accepting(sgw_server_t *s) {
  for (unsigned i = 0; i < s->nlisteners; i++) {
    if (s->listeners[i].accepting)
      sgw_acceptor_close(&s->listeners[i].acceptor);
    s->listeners[i].accepting = 0;
  }
}

void sgw_server_drain(sgw_server_t *s) {
  sgw_conn_t *c, *next;

  /* Closing a listening socket resets the connections still queued on
   * it. Where another server shares the port (a restart: the new one
   * takes over) that would fail clients the kernel gave to us, so they
   * are accepted first and each answered once. */
  for (unsigned i = 0; i < s->nlisteners && !s->draining; i++)
    if (s->listeners[i].accepting)
      sgw_acceptor_sweep(&s->listeners[i].acceptor);
  s->draining = 1;
  server_stop_accepting(s);
  if (s->nconns == 0 && s->on_drained != NULL)
    s->on_drained(s);
  /* Connections free themselves in close callbacks, after this loop. */
  for (c = s->conns; c != NULL; c = next) {
    next = c->next;
    sgw_conn_drain(c);
  }
}

void sgw_server_halt(sgw_server_t *s) {
  int was = s->draining;

  s->draining = 1;
  server_stop_accepting(s);
  if (s->nconns == 0 && !was && s->on_drained != NULL)
    s->on_drained(s);
  for (sgw_conn_t *c = s->conns; c != NULL; c = c->next)
    sgw_conn_close(c);
}

void sgw_server_close(sgw_server_t *s) {
  server_stop_accepting(s);
  sgw_deadlines_close(&s->deadlines);
}

void sgw_server_fini(sgw_server_t *s) {
  sgw_http_req_pool_free(s);
  for (unsigned i = 0; i < s->nlisteners; i++)
    sgw_tls_view_fini(&s->listeners[i].tls);
  s->nlisteners = 0;
  sgw_buf_free(&s->out);
  sgw_buf_free(&s->tls_out);
  free(s->readbuf);
  s->readbuf = NULL;
}

void sgw_server_conn_states(const sgw_server_t *s, unsigned *n) {
  for (int i = 0; i < SGW_CONN_NSTATES; i++)
    n[i] = 0;
  for (const sgw_conn_t *c = s->conns; c != NULL; c = c->next)
    n[sgw_conn_state(c)]++;
}

void sgw__server_account(sgw_server_t *s, size_t add, size_t sub) {
  s->buffered = s->buffered + add - sub;
  if (s->buffered > s->buffered_peak)
    s->buffered_peak = s->buffered;
}

void sgw_server_trim(sgw_server_t *s) {
  if (s->buffered_peak - s->buffered < SGW__TRIM_AFTER)
    return;
  malloc_trim(0);
  s->buffered_peak = s->buffered;
}
