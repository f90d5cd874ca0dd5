/* signgw: command line, start-up and shutdown. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "client/http.h"
#include "common/log.h"
#include "runtime/cred.h"
#include "runtime/cred_s3.h"
#include "runtime/devmode.h"
#include "runtime/observe.h"
#include "runtime/reload.h"
#include "runtime/sources.h"
#include "runtime/vm.h"
#include "runtime/worker.h"
#include "server/inherit.h"
#include "server/listen.h"
#include "server/tls.h"
#include "signgw/error.h"

#define SGW__MAX_WORKERS SGW_RELOAD_MAX_WORKERS

typedef struct sgw_opts_s {
  const char *config;
  const char *listen;
  int workers; /* -1: from config */
  int test_only;
  int reuse_port; /* share ports another signgw serves (a restart) */
} sgw_opts_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: signgw [-c FILE] [-l HOST:PORT] [-w N] [--reuse-port] [-t] [-h] [-V]\n"
          "  -c FILE       config file (default: %s)\n"
          "  -l HOST:PORT  listen address, overrides the config (port 0: any);\n"
          "                TLS when SGW_TLS_CERT and SGW_TLS_KEY are set\n"
          "  -w N          worker threads, overrides the config (0: one per CPU)\n"
          "  --reuse-port  listen on ports a running signgw serves, to take over\n"
          "                from it while it drains (without it that is refused)\n"
          "  -t            check the config, every route script and the TLS\n"
          "                certificates and keys, then exit\n"
          "  -h            this help\n"
          "  -V            version\n"
          "Credentials come from the environment: COS_SECRET_ID, COS_SECRET_KEY,\n"
          "optional COS_SECURITY_TOKEN, each also as *_FILE naming a file that\n"
          "holds it (re-read on SIGHUP); bucket and region from COS_BUCKET and\n"
          "COS_REGION (see the config file). Listening sockets passed by systemd\n"
          "socket activation (LISTEN_FDS) serve the listen entries they match.\n",
          SGW_DEFAULT_CONFIG);
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, sgw_opts_t *o) {
  int ch;
  char *end;

  static const struct option longs[] = {
      {"reuse-port", no_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};

  o->config = SGW_DEFAULT_CONFIG;
  o->workers = -1;
  while ((ch = getopt_long(argc, argv, "c:l:w:thV", longs, NULL)) != -1) {
    switch (ch) {
    case 'R': o->reuse_port = 1; break;
    case 'c': o->config = optarg; break;
    case 'l': o->listen = optarg; break;
    case 't': o->test_only = 1; break;
    case 'w':
      o->workers = (int)strtol(optarg, &end, 10);
      if (*end != '\0' || end == optarg || o->workers < 0 ||
          o->workers > SGW__MAX_WORKERS) {
        fprintf(stderr, "signgw: -w takes a number from 0 to %d\n",
                SGW__MAX_WORKERS);
        return 1;
      }
      break;
    case 'h': usage(stdout); return 0;
    case 'V': printf("signgw %s\n", SGW_VERSION); return 0;
    default: usage(stderr); return 1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "signgw: unexpected argument '%s'\n", argv[optind]);
    return 1;
  }
  return -1;
}

/* The main thread's part while serving: signals, the shutdown deadline
 * and word from workers that have finished. */
typedef struct sgw_main_s {
  sgw_reload_t *r;
  uv_signal_t sigint, sigterm, sighup;
  uv_timer_t deadline;
  uv_timer_t drain_delay;  /* health.drain_delay_ms after SIGTERM */
  uv_async_t done;
  int stopping;
  int signum;              /* the one that started the stop */
} sgw_main_t;

static void on_deadline(uv_timer_t *t) {
  sgw_main_t *m = t->data;

  sgw_log_warn("shutdown: deadline passed, closing what is left");
  for (int i = 0; i < m->r->nworkers; i++)
    sgw_worker_halt(&m->r->workers[i]);
}

/* Stop accepting and let in-flight requests finish (up to
 * limits.shutdown_timeout_ms). */
static void stop_serving(sgw_main_t *m) {
  unsigned ms = m->r->config.limits.shutdown_timeout_ms;

  sgw_log_info("signal %d: stopping; in-flight requests have %u ms to finish",
               m->signum, ms);
  sgw_reload_unwatch(m->r);
  for (int i = 0; i < m->r->nworkers; i++)
    sgw_worker_drain(&m->r->workers[i]);
  uv_timer_start(&m->deadline, on_deadline, ms, 0);
}

static void on_drain_delay(uv_timer_t *t) { stop_serving(t->data); }

/* First SIGTERM/SIGINT: /healthz answers 503 from now; after
 * health.drain_delay_ms (default 0: at once), stop serving. A second
 * signal exits at once. */
static void on_signal(uv_signal_t *s, int signum) {
  sgw_main_t *m = s->data;
  unsigned delay = m->r->config.obs.drain_delay_ms;

  if (m->stopping) {
    sgw_log_warn("signal %d again: exiting now", signum);
    _exit(1);
  }
  m->stopping = 1;
  m->signum = signum;
  sgw_obs_draining();
  if (delay == 0) {
    stop_serving(m);
    return;
  }
  sgw_log_info("signal %d: /healthz answers 503; serving on for %u ms "
               "(health.drain_delay_ms) before stopping", signum, delay);
  sgw_reload_unwatch(m->r);
  uv_timer_start(&m->drain_delay, on_drain_delay, delay, 0);
}

static void on_hup(uv_signal_t *s, int signum) {
  sgw_main_t *m = s->data;

  (void)signum;
  if (!m->stopping)
    sgw_reload_run(m->r, "SIGHUP");
}

static void on_worker_done(uv_async_t *a) {
  sgw_main_t *m = a->data;

  for (int i = 0; i < m->r->nworkers; i++)
    if (!atomic_load(&m->r->workers[i].finished))
      return;
  uv_stop(a->loop);
}

/* The sockets of every listen entry, one per worker. */
typedef struct sgw_sockets_s {
  int fds[SGW_LISTEN_MAX][SGW__MAX_WORKERS];
  int n;          /* entries opened so far */
} sgw_sockets_t;

static void close_sockets(sgw_sockets_t *so, int nworkers) {
  for (int j = 0; j < so->n; j++)
    for (int i = 0; i < nworkers; i++)
      if (so->fds[j][i] >= 0)
        close(so->fds[j][i]);
  so->n = 0;
}

/* Entry l's sockets: duplicates of an inherited one (socket activation),
 * else one per worker on the same address (SO_REUSEPORT). */
static int open_entry(sgw_listen_spec_t *l, int n, int flags,
                      sgw_inherit_t *in, int *fds) {
  int port = l->port, bound = -1, k = sgw_inherit_find(in, l->host, l->port);
  char name[80];

  sgw_listen_name(l->host, l->port, name, sizeof(name));
  for (int i = 0; i < n; i++)
    fds[i] = -1;
  if (k >= 0)
    in->v[k].taken = 1;
  for (int i = 0; i < n; i++) {
    if (k >= 0)
      fds[i] = fcntl(in->v[k].fd, F_DUPFD_CLOEXEC, SGW_INHERIT_FIRST_FD);
    else
      fds[i] = sgw_listen_open(l->host, port, &bound, flags);
    port = bound;
    if (fds[i] < 0) {
      int e = k >= 0 ? UV_EMFILE : fds[i];
      sgw_log_error("cannot listen on %s: %s%s", name, uv_strerror(e),
                    e == UV_EADDRINUSE && !(flags & SGW_LISTEN_SHARE)
                        ? " (to take over from a signgw that serves it, "
                          "start the new one with --reuse-port)"
                        : "");
      while (i-- > 0)
        close(fds[i]);
      fds[0] = -1;
      return -1;
    }
  }
  if (k < 0)
    l->port = port;
  else
    sgw_log_info("listen %s: on the socket passed by socket activation",
                 name);
  return 0;
}

static int open_sockets(sgw_settings_t *s, int n, int flags,
                        sgw_inherit_t *in, sgw_sockets_t *so) {
  char name[80];
  int rc = 0;

  so->n = 0;
  for (int j = 0; j < s->nlisten && rc == 0; j++) {
    if ((rc = open_entry(&s->listen[j], n, flags, in, so->fds[j])) == 0)
      so->n++;
  }
  for (int k = 0; rc == 0 && k < in->n; k++)
    if (!in->v[k].taken) {
      sgw_inherit_name(in, k, name, sizeof(name));
      sgw_log_error("socket activation passed a socket on %s, which no "
                    "listen entry names", name);
      rc = -1;
    }
  sgw_inherit_close(in); /* the workers hold duplicates */
  if (rc < 0)
    close_sockets(so, n);
  return rc;
}

/* The TLS setup of every TLS listen entry, before anything listens:
 * a certificate that does not load stops the start. */
static int load_certs(const sgw_settings_t *s, sgw_tls_t **tls) {
  char err[SGW_ERR_MAX], name[80];

  for (int j = 0; j < s->nlisten; j++) {
    const sgw_listen_spec_t *l = &s->listen[j];
    tls[j] = NULL;
    if (!l->tls)
      continue;
    sgw_listen_name(l->host, l->port, name, sizeof(name));
    if (sgw_tls_new(&tls[j], name, l->cert, l->key, err, sizeof(err)) < 0) {
      sgw_log_error("tls %s: %s", name, err);
      while (j-- > 0)
        sgw_tls_free(tls[j]);
      return -1;
    }
  }
  return 0;
}

/* Starts the workers on generation 1. Returns how many started; the
 * sockets of the others are closed. */
static int start_workers(sgw_reload_t *r, sgw_sockets_t *so,
                         uv_async_t *done) {
  sgw_vm_t *vms[SGW__MAX_WORKERS];
  sgw_cred_t *cred;
  char err[SGW_ERR_MAX];
  int i = 0;

  if (sgw_reload_build(r, 1, vms, NULL, &cred, err, sizeof(err)) < 0) {
    sgw_log_error("%s", err);
    close_sockets(so, r->nworkers);
    return 0;
  }
  sgw_reload_set_cred(r, cred);
  for (; i < r->nworkers; i++) {
    int fds[SGW_LISTEN_MAX];
    for (int j = 0; j < so->n; j++) {
      fds[j] = so->fds[j][i];
      so->fds[j][i] = -1; /* the worker's now */
    }
    if (sgw_worker_start(&r->workers[i], i, fds, r->tls, so->n, vms[i],
                         done) < 0) {
      sgw_log_error("cannot start worker %d", i);
      break; /* a failed start freed its sockets and VM */
    }
  }
  for (int j = i + 1; j < r->nworkers; j++)
    sgw_vm_close(vms[j]);
  close_sockets(so, r->nworkers); /* those of workers that did not start */
  return i;
}

/* Each connection needs a descriptor, and running out of them is how a
 * flood of clients hurts everyone else: take all the kernel allows. */
static void raise_fd_limit(const sgw_settings_t *s, int workers) {
  struct rlimit rl;
  unsigned long long want =
      (unsigned long long)workers * s->limits.max_connections + 64;

  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
    sgw_log_warn("open file limit is %llu, below the %llu that %d workers x "
                 "limits.max_connections (%u) may need; past it new "
                 "connections wait (raise it with ulimit -n or "
                 "LimitNOFILE=)", (unsigned long long)rl.rlim_cur, want,
                 workers, s->limits.max_connections);
}

static void main_init(sgw_main_t *m, sgw_reload_t *r, uv_loop_t *loop) {
  m->r = r;
  uv_signal_init(loop, &m->sigint);
  uv_signal_init(loop, &m->sigterm);
  uv_signal_init(loop, &m->sighup);
  uv_timer_init(loop, &m->deadline);
  uv_timer_init(loop, &m->drain_delay);
  uv_async_init(loop, &m->done, on_worker_done);
  m->sigint.data = m->sigterm.data = m->sighup.data = m;
  m->deadline.data = m->done.data = m->drain_delay.data = m;
  uv_signal_start(&m->sigint, on_signal, SIGINT);
  uv_signal_start(&m->sigterm, on_signal, SIGTERM);
  uv_signal_start(&m->sighup, on_hup, SIGHUP);
}

static void main_close(sgw_main_t *m, uv_loop_t *loop) {
  uv_close((uv_handle_t *)&m->sigint, NULL);
  uv_close((uv_handle_t *)&m->sigterm, NULL);
  uv_close((uv_handle_t *)&m->sighup, NULL);
  uv_close((uv_handle_t *)&m->deadline, NULL);
  uv_close((uv_handle_t *)&m->drain_delay, NULL);
  uv_close((uv_handle_t *)&m->done, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  uv_loop_close(loop);
}

/* "127.0.0.1:3000, tls 127.0.0.1:3443" */
static void listen_names(const sgw_settings_t *s, char *buf, size_t size) {
  size_t len = 0;
  char name[80];

  buf[0] = '\0';
  for (int j = 0; j < s->nlisten && len < size; j++) {
    sgw_listen_name(s->listen[j].host, s->listen[j].port, name, sizeof(name));
    len += (size_t)snprintf(buf + len, size - len, "%s%s%s", j ? ", " : "",
                            s->listen[j].tls ? "tls " : "", name);
  }
}

static int run(sgw_reload_t *r, int flags, sgw_inherit_t *in) {
  static sgw_worker_t workers[SGW__MAX_WORKERS];
  static sgw_sockets_t so;
  int started = 0, rc = 1, observing = 0;
  uv_loop_t *loop = uv_default_loop();
  sgw_main_t m = {0};
  char names[SGW_LISTEN_MAX * 90], err[1024];

  r->nworkers = r->live.workers ? r->live.workers
                                : (int)uv_available_parallelism();
  if (r->nworkers > SGW__MAX_WORKERS)
    r->nworkers = SGW__MAX_WORKERS;
  r->workers = workers;
  r->status.workers = r->nworkers;
  atomic_store(&r->status.generation, 1);
  /* Signals first: once "listening" is logged, SIGTERM must be ours. */
  main_init(&m, r, loop);
  if (load_certs(&r->live, r->tls) < 0) {
    sgw_inherit_close(in);
    goto stop;
  }
  if (open_sockets(&r->live, r->nworkers, flags, in, &so) < 0)
    goto stop;
  raise_fd_limit(&r->config, r->nworkers);
  if (sgw_obs_start(loop, &r->config.obs, &r->status, err, sizeof(err)) < 0) {
    sgw_log_error("%s", err);
    close_sockets(&so, r->nworkers);
    goto stop;
  }
  observing = 1;
  if (sgw_devmode_start(r) < 0) { /* before generation 1: gw.dev */
    close_sockets(&so, r->nworkers);
    goto stop;
  }
  started = start_workers(r, &so, &m.done);
  if (started < r->nworkers)
    goto stop;
  sgw_obs_serving();
  if (sgw_reload_watch(r, loop, workers[0].vm) < 0)
    sgw_log_warn("reload: cannot watch the scripts; SIGHUP still reloads");
  listen_names(&r->live, names, sizeof(names));
  for (int j = 0; j < r->live.nlisten; j++)
    if (r->tls[j] != NULL) {
      sgw_listen_name(r->live.listen[j].host, r->live.listen[j].port, names,
                      sizeof(names));
      sgw_log_info("tls %s: %s", names, sgw_tls_info(r->tls[j]));
    }
  listen_names(&r->live, names, sizeof(names));
  sgw_log_info("listening on %s (workers=%d, generation 1, config %s)", names,
               r->nworkers, r->config_path);
  uv_run(loop, UV_RUN_DEFAULT);
  sgw_log_info("stopped");
  rc = 0;

stop:
  sgw_reload_unwatch(r);
  for (int i = 0; i < started; i++)
    sgw_worker_halt(&workers[i]); /* finished ones ignore it */
  for (int i = 0; i < started; i++)
    sgw_worker_join(&workers[i]);
  for (int j = 0; j < SGW_LISTEN_MAX; j++) { /* after the workers' views */
    sgw_tls_free(r->tls[j]);
    r->tls[j] = NULL;
  }
  sgw_devmode_stop(r);
  if (observing)
    sgw_obs_stop(); /* the workers' last access log lines are written */
  main_close(&m, loop);
  return rc;
}

int main(int argc, char **argv) {
  static sgw_reload_t r;
  sgw_opts_t o = {0};
  sgw_cred_t *cred;
  sgw_vm_t *probe;
  sgw_inherit_t in;
  char err[SGW_ERR_MAX];
  const char *why = NULL;
  int rc = parse_args(argc, argv, &o);

  if (rc >= 0)
    return rc;
  signal(SIGPIPE, SIG_IGN);
  /* libcurl's global state: before any thread, released after all. */
  if (sgw_http_global_init(&why) < 0) {
    fprintf(stderr, "signgw: outbound HTTP unavailable: %s\n", why);
    return 1;
  }
  atexit(sgw_http_global_cleanup);
  if (sgw_cred_load(&cred, err, sizeof(err)) < 0) {
    fprintf(stderr, "signgw: %s\n", err);
    return 1;
  }

  /* Build one VM up front: it checks everything (-t) and yields the
   * settings; workers then build their own. The config path is kept as
   * given and resolved at every read, so symlink swaps apply on reload. */
  sgw_sources_t src = {0};
  sgw_vm_opts_t vo = {&src, cred, NULL, -1, 1, NULL, NULL};
  if (sgw_sources_read_config(&src, o.config, err, sizeof(err)) < 0 ||
      sgw_vm_open(&vo, &probe, err, sizeof(err)) < 0) {
    fprintf(stderr, "signgw: %s\n", err);
    sgw_sources_free(&src);
    sgw_cred_unref(cred);
    return 1;
  }
  sgw_sources_free(&src);
  r.config = probe->settings;
  sgw_vm_close(probe);
  r.live = r.config;
  r.listen_from_config = o.listen == NULL;
  if ((o.listen && sgw_settings_listen(&r.live, o.listen, err,
                                        sizeof(err)) < 0)) {
    fprintf(stderr, "signgw: -l: %s\n", err);
    sgw_cred_unref(cred);
    return 1;
  }
  if (o.test_only) {
    /* The certificates and keys the listeners would serve, as well. */
    rc = load_certs(&r.live, r.tls);
    for (int j = 0; j < SGW_LISTEN_MAX; j++)
      sgw_tls_free(r.tls[j]);
    sgw_cred_unref(cred);
    if (rc < 0)
      return 1;
    printf("signgw: %s: configuration, route scripts and TLS certificates "
           "OK\n", o.config);
    return 0;
  }
  /* Still one thread: the environment may change. */
  if (sgw_inherit_load(&in, err, sizeof(err)) < 0) {
    fprintf(stderr, "signgw: socket activation: %s\n", err);
    sgw_cred_unref(cred);
    return 1;
  }
  if (o.workers >= 0)
    r.live.workers = o.workers;
  if (sgw_cred_s3_selected() && cred->s3->placeholder)
    sgw_log_warn("no S3 credentials in the environment: signing with "
                 "placeholder development credentials (access key id %s); "
                 "a real store will refuse them. Set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY for real use.", cred->s3->secret_id);
  else if (cred->placeholder && !sgw_cred_s3_selected() &&
           !sgw_devmode_wanted(&r.config.dev, cred))
    sgw_log_warn("no COS credentials in the environment: signing with "
                 "placeholder development credentials (SecretId %s); "
                 "uploads to a real bucket will be refused. Set "
                 "COS_SECRET_ID and COS_SECRET_KEY for real use.",
                 cred->secret_id);
  r.config_path = o.config;
  r.cred = cred; /* r owns this reference now */
  rc = run(&r, o.reuse_port ? SGW_LISTEN_SHARE : 0, &in);
  sgw_cred_unref(r.cred);
  return rc;
}
