/* One worker's HTTP server: its listening sockets, its connections, and
 * the memory they share (a read buffer, a response buffer, a pool of
 * request states). Everything runs on the worker's loop; nothing here is
 * shared between workers.
 *
 * Ownership: the caller (the worker) owns the struct. sgw_server_close()
 * closes its handles once no connection is left (or after a halt), and
 * sgw_server_fini() frees its memory after the loop has run the close
 * callbacks. */
#ifndef SGW_SERVER_H
#define SGW_SERVER_H

#include <stddef.h>
#include <time.h>
#include <uv.h>

#include "server/accept.h"
#include "server/deadline.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/listen.h"
#include "server/tls.h"
#include "signgw/buf.h"

struct sgw_conn_s;

/* Output queued for one client that does not read: past this its
 * pipelined requests wait until it catches up. */
#define SGW_SERVER_MAX_QUEUED (32 * 1024)
/* Bytes all of one worker's connections may hold in unparsed input and
 * unsent output before the ones holding any stop reading and parsing
 * (clients that hold nothing, such as new ones, are still served). */
#define SGW_SERVER_MAX_BUFFERED (64u << 20)
#define SGW_SERVER_READBUF (16 * 1024)

typedef struct sgw_server_s sgw_server_t;
/* A stopping server has no connection left. */
typedef void (*sgw_server_drained_cb)(sgw_server_t *s);

/* One listening socket of the server, plain or TLS. */
typedef struct sgw_listener_s {
  sgw_acceptor_t acceptor;
  sgw_server_t *server;
  sgw_tls_view_t tls;         /* tls.tls is NULL for plain HTTP */
  int accepting;
} sgw_listener_t;

struct sgw_server_s {
  uv_loop_t *loop;
  const sgw_limits_t *limits;
  sgw_http_handler_t handler;
  sgw_listener_t listeners[SGW_LISTEN_MAX];
  unsigned nlisteners;
  sgw_deadlines_t deadlines;
  struct sgw_conn_s *conns;   /* open connections */
  unsigned nconns;
  sgw_http_req_t *pool;       /* request states not in use */
  unsigned npool;
  size_t buffered;            /* bytes in pending input and queued output */
  size_t buffered_peak;       /* since memory was last given back */
  char *readbuf;              /* one read buffer: reads are consumed at once */
  sgw_buf_t out;              /* scratch for serialising an answer */
  sgw_buf_t tls_out;          /* scratch for ciphertext (server/tls.c) */
  int draining;               /* stopping: answer what is in flight, close */
  sgw_server_drained_cb on_drained; /* may be NULL */
  void *data;                 /* the owner's */
  char date[32];              /* cached Date header value */
  time_t date_sec;
};

int sgw_server_init(sgw_server_t *s, uv_loop_t *loop,
                    const sgw_limits_t *limits,
                    const sgw_http_handler_t *handler);
/* Starts accepting on a listening socket (takes it: on failure it is
 * closed). `tls` (NULL for plain HTTP) must outlive the server. */
int sgw_server_listen(sgw_server_t *s, int fd, sgw_tls_t *tls);
/* Serves an already connected stream socket (takes it; the HTTP fuzz
 * target feeds one end of a socketpair this way). */
int sgw_server_open(sgw_server_t *s, uv_os_sock_t fd);
/* New limits for new requests (a reload). */
void sgw_server_set_limits(sgw_server_t *s, const sgw_limits_t *limits);
/* Graceful stop: connections the kernel has queued are accepted, then
 * no new ones; idle ones close now, the others after the answer they
 * are working on (a new one after its first). */
void sgw_server_drain(sgw_server_t *s);
/* Closes every connection now (in-flight handlers get on_abort). */
void sgw_server_halt(sgw_server_t *s);
/* Closes the server's own handles. */
void sgw_server_close(sgw_server_t *s);
void sgw_server_fini(sgw_server_t *s);

/* Counts bytes held in pending input, kept bodies and queued output. */
void sgw__server_account(sgw_server_t *s, size_t add, size_t sub);

/* Gives memory back to the system if much that was buffered is gone. */
void sgw_server_trim(sgw_server_t *s);

/* What a connection is doing, for metrics: a request arriving, a
 * handler working on one, an answer waiting to be written (or a close in
 * progress), or nothing (keep-alive). */
enum {
  SGW_CONN_READING,
  SGW_CONN_ACTIVE,
  SGW_CONN_WRITING,
  SGW_CONN_IDLE,
  SGW_CONN_NSTATES
};
/* Counts the open connections by state into n[SGW_CONN_NSTATES]. */
void sgw_server_conn_states(const sgw_server_t *s, unsigned *n);

/* The current HTTP date, recomputed at most once a second. */
const char *sgw_server_date(sgw_server_t *s);

#endif
