#define _GNU_SOURCE /* accept4 */
#include "server/accept.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#define SGW__ACCEPT_BATCH 64 /* per wake-up: other work gets its turn */
#define SGW__SWEEP_MAX 4096  /* a last sweep before the socket closes */

static void on_readable(uv_poll_t *p, int status, int events);

static void on_backoff(uv_timer_t *t) {
  sgw_acceptor_t *a = t->data;

  if (a->fd >= 0)
    uv_poll_start(&a->poll, UV_READABLE, on_readable);
}

/* Out of descriptors (or kernel memory): wait, then try again. */
static void accept_pause(sgw_acceptor_t *a, int err) {
  uint64_t now = uv_now(a->poll.loop);

  a->failures++;
  if (a->log_at == 0 || now - a->log_at >= 1000) {
    sgw_log_warn("accept failed: %s (%u time%s since the last report); "
                 "pausing new connections for %d ms", strerror(err),
                 a->failures, a->failures == 1 ? "" : "s",
                 SGW_ACCEPT_BACKOFF_MS);
    a->log_at = now;
    a->failures = 0;
  }
  uv_poll_stop(&a->poll);
  uv_timer_start(&a->backoff, on_backoff, SGW_ACCEPT_BACKOFF_MS, 0);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  sgw_acceptor_t *a = p->data;

  (void)events;
  if (status < 0)
    return;
  for (int i = 0; i < SGW__ACCEPT_BATCH && a->fd >= 0; i++) {
    int fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      a->cb(a, fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
      continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
        errno == ENOMEM)
      accept_pause(a, errno);
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
      sgw_log_warn("accept failed: %s", strerror(errno));
    return;
  }
}

void sgw_acceptor_sweep(sgw_acceptor_t *a) {
  /* Bounded: the queue holds a backlog's worth; more are new arrivals. */
  for (int i = 0; i < SGW__SWEEP_MAX && a->fd >= 0; i++) {
    int fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
      a->cb(a, fd);
    else if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
      return; /* EAGAIN: none left; anything else: as many as we could */
  }
}

int sgw_acceptor_start(sgw_acceptor_t *a, uv_loop_t *loop, int fd,
                       sgw_accept_cb cb) {
  int rc;

  memset(a, 0, sizeof(*a));
  a->fd = fd;
  a->cb = cb;
  if ((rc = uv_poll_init(loop, &a->poll, fd)) < 0) {
    close(fd);
    a->fd = -1;
    return rc;
  }
  uv_timer_init(loop, &a->backoff);
  a->poll.data = a->backoff.data = a;
  a->handles = 2;
  return uv_poll_start(&a->poll, UV_READABLE, on_readable);
}

static void on_closed(uv_handle_t *h) {
  sgw_acceptor_t *a = h->data;

  if (--a->handles == 0 && a->fd >= 0) {
    close(a->fd);
    a->fd = -1;
  }
}

void sgw_acceptor_close(sgw_acceptor_t *a) {
  if (a->handles == 0 || uv_is_closing((uv_handle_t *)&a->poll))
    return;
  uv_close((uv_handle_t *)&a->poll, on_closed);
  uv_close((uv_handle_t *)&a->backoff, on_closed);
}
