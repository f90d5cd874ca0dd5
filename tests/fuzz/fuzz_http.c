/* libFuzzer target: bytes from a client -> the connection code, the HTTP
 * parser, dispatch and the shipped Lua routes -> responses or a close.
 *
 * One worker (no thread, no listening socket) and one VM from the shipped
 * lua/config.lua are built once. Each input is written into one end of a
 * socketpair whose other end is a connection of that worker, in chunks
 * (1 byte to 64 KiB, by the low bits of the first byte: reads split
 * anywhere), while the worker's loop runs; then the client half-closes and the loop
 * runs until the connection is gone or 100 iterations pass. Whatever is
 * left is closed, so no state leaks into the next input. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "common/log.h"
#include "runtime/cred.h"
#include "runtime/sources.h"
#include "runtime/vm.h"
#include "runtime/worker.h"
#include "server/conn.h"
#include "server/server.h"
#include "signgw/error.h"

/* Bytes written per loop iteration, chosen by the input's first byte:
 * the server must not care how a request is cut into reads. */
static const size_t chunk_sizes[8] = {1, 2, 5, 13, 64, 512, 4096, 65536};
#define MAX_ROUNDS 100  /* loop iterations after the half-close */

static sgw_worker_t worker;
static sgw_cred_t *cred;
static int echo; /* SGW_FUZZ_ECHO=1: copy the server's output to stderr */

static void die(const char *what, const char *err) {
  fprintf(stderr, "fuzz_http: %s: %s\n", what, err);
  abort();
}

static void setup(void) {
  char err[SGW_ERR_MAX];
  sgw_sources_t src = {0};
  sgw_vm_t *vm;

  signal(SIGPIPE, SIG_IGN);
  echo = getenv("SGW_FUZZ_ECHO") != NULL;
  sgw_log_set_level(echo ? SGW_LOG_DEBUG : SGW_LOG_ERROR);
  /* Placeholder credentials: none from the environment. */
  unsetenv("COS_SECRET_ID");
  unsetenv("COS_SECRET_KEY");
  unsetenv("COS_SECRET_KEY_FILE");
  unsetenv("COS_SECRET_ID_FILE");
  unsetenv("COS_SECURITY_TOKEN");
  unsetenv("COS_SECURITY_TOKEN_FILE");
  if (sgw_cred_load(&cred, err, sizeof(err)) < 0)
    die("credentials", err);
  if (sgw_sources_read_config(&src, SGW_FUZZ_CONFIG, err, sizeof(err)) < 0)
    die("config", err);
  sgw_vm_opts_t vo = {&src, cred, NULL, 0, 1, NULL, NULL};
  if (sgw_vm_open(&vo, &vm, err, sizeof(err)) < 0)
    die("vm", err);
  sgw_sources_free(&src);
  if (sgw_worker_init(&worker, 0, vm) < 0)
    die("worker", "init failed");
}

static void drain(int fd) {
  char buf[65536];
  ssize_t n;

  while ((n = read(fd, buf, sizeof(buf))) > 0)
    if (echo)
      fwrite(buf, 1, (size_t)n, stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  int fds[2];
  size_t off = 0, chunk = size ? chunk_sizes[data[0] & 7] : 1;

  if (chunk < size / 256)
    chunk = size / 256; /* at most ~256 rounds: keep long inputs fast */

  if (!ready) {
    setup();
    ready = 1;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    abort();
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  if (sgw_server_open(&worker.server, fds[0]) < 0)
    abort();

  while (off < size) {
    size_t n = size - off < chunk ? size - off : chunk;
    ssize_t w = write(fds[1], data + off, n);
    if (w > 0)
      off += (size_t)w;
    else if (worker.server.conns == NULL)
      break; /* the server closed: the rest cannot be sent */
    uv_run(&worker.loop, UV_RUN_NOWAIT);
    drain(fds[1]);
  }
  shutdown(fds[1], SHUT_WR);
  for (int i = 0; i < MAX_ROUNDS && worker.server.conns != NULL; i++) {
    uv_run(&worker.loop, UV_RUN_NOWAIT);
    drain(fds[1]);
  }
  /* A request waiting on a timer, a linger: close it now. */
  sgw_server_halt(&worker.server);
  worker.server.draining = 0; /* the next input is a new connection */
  for (int i = 0; i < MAX_ROUNDS && worker.server.conns != NULL; i++)
    uv_run(&worker.loop, UV_RUN_NOWAIT);
  if (worker.server.conns != NULL)
    abort(); /* a connection that cannot be closed */
  close(fds[1]);
  return 0;
}
