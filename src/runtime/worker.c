#include "runtime/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/dispatch.h"
#include "runtime/task.h"

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
  sgw_server_set_limits(&w->server, &vm->settings.limits);
  sgw_lua_set_signer(vm->L, w->signer);
  sgw_worker_reap(w);
}

static void on_stop(uv_async_t *a) {
  sgw_worker_t *w = a->data;

  if (atomic_load(&w->stop_mode) == SGW_WORKER_HALT)
    sgw_server_halt(&w->server);
  else
    sgw_server_drain(&w->server);
  /* The loop ends once the last connection is gone; these two must not
   * keep it alive, yet still work (a halt may follow a drain). */
  uv_unref((uv_handle_t *)&w->stop);
  uv_unref((uv_handle_t *)&w->reload);
}

void *sgw_worker_service(sgw_worker_t *w, const void *key) {
  for (sgw_service_t *s = w->services; s != NULL; s = s->next)
    if (s->key == key)
      return s->ptr;
  return NULL;
}

int sgw_worker_add_service(sgw_worker_t *w, const void *key, void *ptr,
                           void (*close)(void *ptr)) {
  sgw_service_t *s = malloc(sizeof(*s));

  if (s == NULL)
    return UV_ENOMEM;
  *s = (sgw_service_t){key, ptr, close, w->services};
  w->services = s;
  return 0;
}

/* Services go first, while the loop can still run their close callbacks. */
static void worker_close_services(sgw_worker_t *w) {
  while (w->services != NULL) {
    sgw_service_t *s = w->services;
    w->services = s->next;
    s->close(s->ptr);
    free(s);
  }
}

static void on_drained(sgw_server_t *s) {
  worker_close_services(s->data);
}

static void on_walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Closes everything still open on the loop and runs it dry. */
static void worker_close_loop(sgw_worker_t *w) {
  sgw_server_halt(&w->server);
  uv_run(&w->loop, UV_RUN_NOWAIT); /* connection close callbacks */
  sgw_obs_worker_close(w); /* after the halt: aborted requests are logged */
  worker_close_services(w);
  sgw_server_close(&w->server);
  uv_walk(&w->loop, on_walk_close, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
}

static void worker_main(void *arg) {
  sgw_worker_t *w = arg;

  sgw_log_set_worker(w->id);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  /* From here the async handles close: nobody may send to them. */
  uv_mutex_lock(&w->lock);
  w->closed = 1;
  uv_mutex_unlock(&w->lock);
  worker_close_loop(w);
  atomic_store(&w->finished, 1);
  if (w->done != NULL)
    uv_async_send(w->done);
}

static void worker_free(sgw_worker_t *w);

int sgw_worker_init(sgw_worker_t *w, int id, sgw_vm_t *vm) {
  sgw_http_handler_t h;
  int rc;

  memset(w, 0, sizeof(*w));
  w->id = id;
  w->vm = vm;
  sgw_buf_init(&w->json);
  sgw_buf_init(&w->hdrs);
  uv_mutex_init(&w->lock);
  if (sgw_signer_new(&w->signer) < 0)
    return UV_ENOMEM;
  sgw_lua_set_signer(vm->L, w->signer);
  if ((rc = uv_loop_init(&w->loop)) < 0) {
    sgw_signer_free(w->signer);
    return rc;
  }
  h = sgw_dispatch_handler(w);
  if ((rc = sgw_server_init(&w->server, &w->loop, &vm->settings.limits,
                            &h)) < 0) {
    uv_loop_close(&w->loop);
    sgw_signer_free(w->signer);
    return rc;
  }
  w->server.on_drained = on_drained;
  w->server.data = w;
  uv_async_init(&w->loop, &w->stop, on_stop);
  uv_async_init(&w->loop, &w->reload, on_reload);
  w->stop.data = w->reload.data = w;
  sgw_obs_worker_init(w);
  return 0;
}

int sgw_worker_start(sgw_worker_t *w, int id, const int *fds,
                     sgw_tls_t *const *tls, int n, sgw_vm_t *vm,
                     uv_async_t *done) {
  int rc, i = 0;

  if ((rc = sgw_worker_init(w, id, vm)) < 0) {
    for (; i < n; i++)
      close(fds[i]);
    sgw_vm_close(vm);
    uv_mutex_destroy(&w->lock);
    return rc;
  }
  w->done = done;
  for (; i < n && rc == 0; i++)
    rc = sgw_server_listen(&w->server, fds[i], tls[i]);
  if (rc == 0)
    rc = uv_thread_create(&w->thread, worker_main, w);
  if (rc < 0) {
    for (; i < n; i++)
      close(fds[i]);
    sgw_worker_fini(w); /* closes the sockets taken, frees the VM */
    return rc;
  }
  return 0;
}

void sgw_worker_fini(sgw_worker_t *w) {
  worker_close_loop(w);
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
  while (w->task_pool != NULL) {
    struct sgw_task_s *t = w->task_pool;
    w->task_pool = t->next_free;
    free(t);
  }
  sgw_signer_free(w->signer); /* after the VMs: they may sign as they close */
  w->signer = NULL;
  uv_mutex_destroy(&w->lock);
  sgw_server_fini(&w->server);
  sgw_buf_free(&w->json);
  sgw_buf_free(&w->hdrs);
}

void sgw_worker_join(sgw_worker_t *w) {
  uv_thread_join(&w->thread);
  worker_free(w);
}

void sgw_worker_stop(sgw_worker_t *w) {
  sgw_worker_halt(w);
  sgw_worker_join(w);
}
