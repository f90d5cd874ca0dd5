/* A worker: one thread with its own event loop, listening socket and Lua
 * VM. Nothing on the request path is shared with other workers. */
#ifndef SGW_WORKER_H
#define SGW_WORKER_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "signgw/buf.h"
#include "signgw/signer.h"

#include "runtime/vm.h"

struct sgw_conn_s;

typedef struct sgw_worker_s {
  int id;
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop;
  atomic_int stop_mode;        /* SGW_WORKER_RUN / _DRAIN / _HALT */
  atomic_int finished;         /* its loop has ended */
  int draining;                /* stopping: answer what is in flight, close */
  uv_async_t *done;            /* the main thread's: sent when finished */
  uv_async_t reload;           /* a new generation waits in next_vm */
  uv_mutex_t lock;             /* guards next_vm and closed */
  int closed;                  /* the loop is over: no more async sends */
  sgw_vm_t *next_vm;
  sgw_vm_t *retired;           /* old generations with requests in flight */
  uv_thread_t thread;
  int fd;                      /* listening socket, adopted by the loop */
  sgw_vm_t *vm;                /* current generation */
  const sgw_limits_t *limits;
  struct sgw_conn_s *conns;    /* open connections */
  unsigned nconns;
  uint64_t next_request;       /* request id counter */
  uint32_t id_prefix;          /* random, so ids differ across restarts */
  char *readbuf;               /* one read buffer: reads are consumed at once */
  sgw_buf_t out;               /* scratch for serialising responses */
  sgw_buf_t json;              /* scratch for a handler's JSON body */
  sgw_buf_t hdrs;              /* scratch for a handler's headers */
  sgw_signer_t *signer;        /* signing state and key cache; wiped at end */
  char date[32];               /* cached Date header value */
  time_t date_sec;
} sgw_worker_t;

#define SGW_WORKER_READBUF 65536

enum { SGW_WORKER_RUN, SGW_WORKER_DRAIN, SGW_WORKER_HALT };

/* The current HTTP date, recomputed at most once a second. */
const char *sgw_worker_date(sgw_worker_t *w);

/* Sets up the worker's loop and buffers around `vm` (taking it) without
 * a thread or a listening socket: sgw_worker_start does both; tests and
 * fuzz targets run the loop themselves and end with sgw_worker_fini. */
int sgw_worker_init(sgw_worker_t *w, int id, sgw_vm_t *vm);
void sgw_worker_fini(sgw_worker_t *w);

/* Starts the worker thread on listening socket `fd` with VM `vm` (the
 * worker takes ownership of both). `done` (may be NULL) is sent when the
 * worker's loop ends. */
int sgw_worker_start(sgw_worker_t *w, int id, int fd, sgw_vm_t *vm,
                     uv_async_t *done);
/* Graceful stop: no new connections; idle ones close now, the others after
 * the answer they are working on. The loop ends when none are left. */
void sgw_worker_drain(sgw_worker_t *w);
/* Closes every connection now. */
void sgw_worker_halt(sgw_worker_t *w);
/* Waits for the thread (after drain or halt) and frees the worker. */
void sgw_worker_join(sgw_worker_t *w);
/* Hands the worker a new generation (from the main thread). The worker
 * switches to it for new requests; the old VM closes when its last
 * request ends. Takes ownership of vm. */
void sgw_worker_adopt(sgw_worker_t *w, sgw_vm_t *vm);
/* Closes retired VMs that no request uses any more (worker thread). */
void sgw_worker_reap(sgw_worker_t *w);

/* Halt, then join. */
void sgw_worker_stop(sgw_worker_t *w);

#endif
