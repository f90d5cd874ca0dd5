/* A worker: one thread with its own event loop, HTTP server and Lua VM.
 * Nothing on the request path is shared with other workers. */
#ifndef SGW_WORKER_H
#define SGW_WORKER_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "runtime/observe.h"
#include "runtime/vm.h"
#include "server/server.h"
#include "signgw/buf.h"
#include "signgw/signer.h"

struct sgw_task_s;

/* Something primitives share on one worker (an HTTP client, a Redis
 * pool), made on first use. A stopping worker closes it once its last
 * connection is gone (so it may keep idle connections of its own open
 * until then); the loop ends after that. */
typedef struct sgw_service_s {
  const void *key;        /* the address of something of its module */
  void *ptr;
  void (*close)(void *ptr);
  struct sgw_service_s *next;
} sgw_service_t;

typedef struct sgw_worker_s {
  int id;
  uv_loop_t loop;
  sgw_server_t server;
  uv_async_t stop;
  atomic_int stop_mode;        /* SGW_WORKER_RUN / _DRAIN / _HALT */
  atomic_int finished;         /* its loop has ended */
  uv_async_t *done;            /* the main thread's: sent when finished */
  uv_async_t reload;           /* a new generation waits in next_vm */
  uv_mutex_t lock;             /* guards next_vm and closed */
  int closed;                  /* the loop is over: no more async sends */
  sgw_vm_t *next_vm;
  sgw_vm_t *retired;           /* old generations with requests in flight */
  uv_thread_t thread;
  sgw_vm_t *vm;                /* current generation */
  struct sgw_task_s *task_pool;
  unsigned ntask_pool;
  sgw_service_t *services;
  sgw_signer_t *signer;        /* signing state (OpenSSL contexts, SignKey) */
  const void *route_req;       /* the request on_head last routed, */
  const sgw_vm_t *route_vm;    /* on this generation, */
  const struct sgw_route_s *route; /* to this route (dispatch.c) */
  sgw_buf_t json;              /* scratch for a handler's JSON body */
  sgw_buf_t hdrs;              /* scratch for a handler's headers */
  sgw_obs_worker_t obs;        /* its access log lines, its metrics tick */
} sgw_worker_t;

enum { SGW_WORKER_RUN, SGW_WORKER_DRAIN, SGW_WORKER_HALT };

/* Sets up the worker's loop, server and buffers around `vm` (taking it)
 * without a thread or a listening socket: sgw_worker_start does both;
 * tests and fuzz targets run the loop themselves and end with
 * sgw_worker_fini. */
int sgw_worker_init(sgw_worker_t *w, int id, sgw_vm_t *vm);
void sgw_worker_fini(sgw_worker_t *w);

/* Starts the worker thread on `n` listening sockets fds[] with VM `vm`
 * (the worker takes ownership of all, and frees them if it fails).
 * tls[i] is socket i's TLS setup, NULL for plain HTTP; it must outlive
 * the worker. `done` (may be NULL) is sent when the worker's loop ends. */
int sgw_worker_start(sgw_worker_t *w, int id, const int *fds,
                     sgw_tls_t *const *tls, int n, sgw_vm_t *vm,
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

/* The worker's service under `key`, or NULL (worker thread only). */
void *sgw_worker_service(sgw_worker_t *w, const void *key);
/* Registers a service; `close` runs when the worker stops. */
int sgw_worker_add_service(sgw_worker_t *w, const void *key, void *ptr,
                           void (*close)(void *ptr));

/* Halt, then join. */
void sgw_worker_stop(sgw_worker_t *w);

#endif
