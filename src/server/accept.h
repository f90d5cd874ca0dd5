/* Accepting connections on a listening socket, with a pause when the
 * process runs out of file descriptors.
 *
 * libuv's own accept loop retries at once on EMFILE; with several worker
 * threads racing for descriptors it can spin at full CPU while nothing
 * else on the loop runs. Here the socket is watched with a uv_poll_t and
 * accept4() is ours: on EMFILE/ENFILE (or ENOBUFS/ENOMEM) this acceptor
 * stops watching for a short back-off and tries again, the pending
 * clients wait in the kernel's backlog, and the loop keeps serving the
 * connections it has. The failure is logged at most once a second, with
 * a count.
 *
 * Ownership: the caller owns the struct and hands over the listening
 * socket; sgw_acceptor_close() closes both handles and the socket, and
 * the struct may be freed once the loop has run their close callbacks. */
#ifndef SGW_ACCEPT_H
#define SGW_ACCEPT_H

#include <stdint.h>
#include <uv.h>

#define SGW_ACCEPT_BACKOFF_MS 100

typedef struct sgw_acceptor_s sgw_acceptor_t;
/* A connected, non-blocking socket: the callee owns it. */
typedef void (*sgw_accept_cb)(sgw_acceptor_t *a, int fd);

struct sgw_acceptor_s {
  uv_poll_t poll;
  uv_timer_t backoff;
  int fd;
  int handles;          /* open uv handles */
  uint64_t log_at;      /* loop time of the last "accept failed" line */
  unsigned failures;    /* failures not yet logged */
  sgw_accept_cb cb;
  void *data;
};

/* Starts accepting on listening socket `fd` (takes ownership: on failure
 * it is closed). */
int sgw_acceptor_start(sgw_acceptor_t *a, uv_loop_t *loop, int fd,
                       sgw_accept_cb cb);
/* Accepts every connection queued on the socket now (before a close,
 * which would reset them). */
void sgw_acceptor_sweep(sgw_acceptor_t *a);
/* Stops accepting and closes the socket. Safe to call twice. */
void sgw_acceptor_close(sgw_acceptor_t *a);

#endif
