#include "runtime/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "server/conn.h"
#include "signgw/crypto.h"

const char *sgw_worker_date(sgw_worker_t *w) {
  time_t now = time(NULL);
  struct tm tm;

  if (now != w->date_sec) {
    gmtime_r(&now, &tm);
    strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    w->date_sec = now;
  }
  return w->date;
}

static void on_connection(uv_stream_t *server, int status) {
  sgw_worker_t *w = server->data;

  if (status < 0) {
    sgw_log_warn("accept failed: %s", uv_strerror(status));
    return;
  }
  sgw_conn_accept(w, server);
}

/* Sends to one of the worker's async handles unless its loop is over. */
static void worker_send(sgw_worker_t *w, uv_async_t *a) {
  uv_mutex_lock(&w->lock);
  if (!w->closed)
    uv_async_send(a);
  uv_mutex_unlock(&w->lock);
}

void sgw_worker_adopt(sgw_worker_t *w, sgw_vm_t *vm) {
  sgw_vm_t *unused;

  uv_mutex_lock(&w->lock);
  unused = w->next_vm; /* two reloads before the worker looked: skip one */
  w->next_vm = vm;
  uv_mutex_unlock(&w->lock);
  sgw_vm_close(unused);
  worker_send(w, &w->reload);
}

void sgw_worker_reap(sgw_worker_t *w) {
  sgw_vm_t **p = &w->retired;

  while (*p != NULL) {
    sgw_vm_t *vm = *p;
    if (vm->inflight == 0) {
      *p = vm->next_retired;
      sgw_vm_close(vm);
    } else {
      p = &vm->next_retired;
    }
  }
}

static void on_reload(uv_async_t *a) {
  sgw_worker_t *w = a->data;
  sgw_vm_t *vm;

  uv_mutex_lock(&w->lock);
  vm = w->next_vm;
  w->next_vm = NULL;
  uv_mutex_unlock(&w->lock);
  if (vm == NULL)
    return;
  w->vm->next_retired = w->retired;
  w->retired = w->vm;
  w->vm = vm;
  w->limits = &vm->settings.limits;
  sgw_lua_set_signer(vm->L, w->signer);
  sgw_worker_reap(w);
}

static void on_walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* The next request on it would start after the stop: close it now. */
static int conn_is_idle(const struct sgw_conn_s *c) {
  return !c->req.running && !c->in_message && c->pending.len == 0 &&
         uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp) == 0;
}

static void on_stop(uv_async_t *a) {
  sgw_worker_t *w = a->data;
  int halt = atomic_load(&w->stop_mode) == SGW_WORKER_HALT;

  w->draining = 1;
  if (!uv_is_closing((uv_handle_t *)&w->server))
    uv_close((uv_handle_t *)&w->server, NULL);
  /* Connections free themselves in close callbacks, after this loop. */
  for (struct sgw_conn_s *c = w->conns; c != NULL; c = c->next) {
    if (halt || conn_is_idle(c))
      sgw_conn_close(c);
    else
      c->keep_alive = 0; /* answer, then close */
  }
  /* The loop ends once the last connection is gone; these two must not
   * keep it alive, yet still work (a halt may follow a drain). */
  uv_unref((uv_handle_t *)&w->stop);
  uv_unref((uv_handle_t *)&w->reload);
}

static void worker_main(void *arg) {
  sgw_worker_t *w = arg;

  sgw_log_set_worker(w->id);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  /* From here the async handles close: nobody may send to them. */
  uv_mutex_lock(&w->lock);
  w->closed = 1;
  uv_mutex_unlock(&w->lock);
  /* Anything left (a connection closing with a pending write) ends here. */
  uv_walk(&w->loop, on_walk_close, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  atomic_store(&w->finished, 1);
  if (w->done != NULL)
    uv_async_send(w->done);
}

static void worker_free(sgw_worker_t *w);

int sgw_worker_init(sgw_worker_t *w, int id, sgw_vm_t *vm) {
  int rc;

  memset(w, 0, sizeof(*w));
  w->id = id;
  w->vm = vm;
  w->limits = &vm->settings.limits;
  sgw_buf_init(&w->out);
  sgw_buf_init(&w->json);
  sgw_buf_init(&w->hdrs);
  if (sgw_random_bytes(&w->id_prefix, sizeof(w->id_prefix)) < 0 ||
      sgw_signer_new(&w->signer) < 0 ||
      (w->readbuf = malloc(SGW_WORKER_READBUF)) == NULL)
    return UV_ENOMEM;
  sgw_lua_set_signer(vm->L, w->signer);
  if ((rc = uv_loop_init(&w->loop)) < 0)
    return rc;
  uv_tcp_init(&w->loop, &w->server);
  uv_async_init(&w->loop, &w->stop, on_stop);
  uv_async_init(&w->loop, &w->reload, on_reload);
  uv_mutex_init(&w->lock);
  w->server.data = w->stop.data = w->reload.data = w;
  return 0;
}

int sgw_worker_start(sgw_worker_t *w, int id, int fd, sgw_vm_t *vm,
                     uv_async_t *done) {
  int rc;

  if ((rc = sgw_worker_init(w, id, vm)) < 0)
    return rc;
  w->done = done;
  w->fd = fd;
  if ((rc = uv_tcp_open(&w->server, fd)) < 0 ||
      (rc = uv_listen((uv_stream_t *)&w->server, 1024, on_connection)) < 0 ||
      (rc = uv_thread_create(&w->thread, worker_main, w)) < 0)
    return rc;
  return 0;
}

void sgw_worker_fini(sgw_worker_t *w) {
  uv_walk(&w->loop, on_walk_close, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  worker_free(w);
}

void sgw_worker_drain(sgw_worker_t *w) {
  atomic_store(&w->stop_mode, SGW_WORKER_DRAIN);
  worker_send(w, &w->stop);
}

void sgw_worker_halt(sgw_worker_t *w) {
  atomic_store(&w->stop_mode, SGW_WORKER_HALT);
  worker_send(w, &w->stop);
}

/* Every connection is closed, so no request holds a VM any more. */
static void worker_free(sgw_worker_t *w) {
  sgw_worker_reap(w);
  sgw_vm_close(w->vm);
  sgw_vm_close(w->next_vm);
  w->vm = w->next_vm = NULL;
  sgw_signer_free(w->signer); /* after the VMs: they may sign as they close */
  w->signer = NULL;
  uv_mutex_destroy(&w->lock);
  sgw_buf_free(&w->out);
  sgw_buf_free(&w->json);
  sgw_buf_free(&w->hdrs);
  free(w->readbuf);
}

void sgw_worker_join(sgw_worker_t *w) {
  uv_thread_join(&w->thread);
  worker_free(w);
}

void sgw_worker_stop(sgw_worker_t *w) {
  sgw_worker_halt(w);
  sgw_worker_join(w);
}
