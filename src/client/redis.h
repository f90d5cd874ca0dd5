/* An asynchronous Redis client on a worker's uv_loop: a pool of pipelined
 * connections to one server, built on hiredis's async API and its libuv
 * adapter.
 *
 * One pool belongs to one loop (one worker) and one URL; everything here
 * runs on that loop's thread. Connections open lazily, on the first
 * command that lands on them, and again after a failure: at once when an
 * established connection broke, after a growing back-off when connecting
 * itself failed. While every connection of the pool is backing off, new
 * commands fail at once with SGW_ECONN instead of waiting: a gateway must
 * answer quickly when its Redis is gone. AUTH and SELECT (from the URL) go
 * out on each new connection before any command; commands issued while it
 * connects wait in order and are sent once the server has accepted both.
 *
 * Timeouts: hiredis's async API has none, so the pool keeps its own on uv
 * timers. A connection not ready within connect_timeout_ms is dropped and
 * the commands waiting for it fail with SGW_ETIMEDOUT. A command without a
 * reply within its timeout fails with SGW_ETIMEDOUT; the connection it was
 * sent on is then dropped (the next reply on it could belong to anyone)
 * and every other command sent on it fails with SGW_ECONN.
 *
 * Commands that change the state of a shared, pipelined connection are
 * refused (SGW_EINVAL): AUTH, SELECT, HELLO, RESET, QUIT, MULTI, EXEC,
 * DISCARD, WATCH, UNWATCH, CLIENT REPLY, MONITOR, SYNC, PSYNC and the
 * (P|S)SUBSCRIBE family. Atomic check-and-set goes through EVAL/EVALSHA.
 *
 * The URL's password is never written to the log or an error text. */
#ifndef SGW_CLIENT_REDIS_H
#define SGW_CLIENT_REDIS_H

#include <stddef.h>
#include <uv.h>

struct redisReply;

/* redis://[[user]:password@]host[:port][/db] parsed. host is a name, an
 * IPv4 address or an IPv6 address (written [::1] in the URL, stored
 * without the brackets). User and password are percent-decoded. */
typedef struct sgw_redis_url_s {
  char host[256];
  int port;           /* default 6379 */
  int db;             /* default 0 */
  char user[128];     /* "" when none (AUTH password) */
  char password[512]; /* "" when none (no AUTH) */
} sgw_redis_url_t;

/* Parses `url` strictly. Returns 0, or SGW_EINVAL with the reason in err;
 * the reason never repeats the URL (it may hold a password). */
int sgw_redis_url_parse(const char *url, sgw_redis_url_t *out, char *err,
                        size_t errlen);

typedef struct sgw_redis_opts_s {
  unsigned connections;        /* per pool; default 2 */
  unsigned connect_timeout_ms; /* TCP connect + AUTH + SELECT; default 1000 */
  unsigned command_timeout_ms; /* default for sgw_redis_call; default 1000 */
  unsigned backoff_min_ms;     /* first wait after a failed connect; 100 */
  unsigned backoff_max_ms;     /* doubling stops here; default 2000 */
  unsigned max_pending;        /* commands in flight per pool; 10000 */
  int unref;                   /* 1: the pool's handles (timers, sockets)
                                * do not keep the loop alive; for a pool
                                * shared by a worker, whose requests
                                * waiting on it do */
} sgw_redis_opts_t;

typedef struct sgw_redis_pool_s sgw_redis_pool_t;
typedef struct sgw_redis_call_s sgw_redis_call_t;

/* A command's result, called exactly once per command unless it was
 * cancelled. err is 0 and reply is the server's answer (of any type, also
 * REDIS_REPLY_ERROR: a script error or NOSCRIPT is an answer, not a
 * failure), and errtext is NULL; or err is a negative SGW_E* code, reply
 * is NULL and errtext says what happened. reply and errtext belong to the
 * pool and are valid only during the call: copy what you keep. The
 * callback may issue new commands, cancel other ones and close the pool. */
typedef void (*sgw_redis_cb)(void *data, int err, const char *errtext,
                             struct redisReply *reply);

/* Creates a pool on `loop` for `url` (copied; opts may be NULL for the
 * defaults, zero fields take their default). Nothing connects yet.
 * Returns 0 and *out, or SGW_EINVAL/SGW_ENOMEM with the reason in err.
 * The caller owns the pool and releases it with sgw_redis_pool_close. */
int sgw_redis_pool_open(uv_loop_t *loop, const char *url,
                        const sgw_redis_opts_t *opts, sgw_redis_pool_t **out,
                        char *err, size_t errlen);

/* Closes the pool: every pending command that was not cancelled fails
 * with SGW_ECANCELED (it is not dropped silently), before this returns;
 * connections are closed. Allowed inside one of the pool's callbacks: the
 * commands sent on that callback's connection then fail just after the
 * callback returns. The pool must not be used afterwards. Its memory goes
 * once its handles have closed, so the loop must run again (uv_run), as
 * for any libuv handle. */
void sgw_redis_pool_close(sgw_redis_pool_t *pool);

/* Sends one command: argc arguments, argv[i] of argvlen[i] bytes (binary
 * safe; argvlen may be NULL for C strings). The arguments are copied
 * before this returns. timeout_ms 0 takes the pool's command_timeout_ms.
 *
 * Returns 0 and then cb runs exactly once, later, from the loop (never
 * from inside this call); *call (may be NULL) is a handle for
 * sgw_redis_call_cancel, valid until cb starts. Or returns a negative code
 * and cb never runs: SGW_EINVAL (no or refused command), SGW_EBUSY
 * (max_pending reached), SGW_ECONN (every connection is backing off after
 * failures), SGW_ECANCELED (the pool is closing), SGW_ENOMEM; then
 * sgw_redis_pool_error says why. */
int sgw_redis_call(sgw_redis_pool_t *pool, int argc, const char *const *argv,
                   const size_t *argvlen, unsigned timeout_ms,
                   sgw_redis_cb cb, void *data, sgw_redis_call_t **call);

/* Between begin and end, sgw_redis_call sends every command on the one
 * connection the first of them took, so they run in the order they were
 * sent (outside a batch, commands are spread over the pool's connections
 * and two of them may run in either order). Nothing is held back: each
 * command goes out as it is issued. A batch must begin and end within one
 * turn of the loop (no waiting in between). */
void sgw_redis_batch_begin(sgw_redis_pool_t *pool);
void sgw_redis_batch_end(sgw_redis_pool_t *pool);

/* Forgets a pending command: its callback will never run, and its memory
 * is freed exactly once by the pool (at once if it was not sent yet, else
 * when its reply arrives and is discarded, or its connection goes). The
 * command may still run on the server. Only before the callback started. */
void sgw_redis_call_cancel(sgw_redis_call_t *call);

/* Why the last sgw_redis_call on this pool returned an error, or why its
 * last connection failed ("" when nothing failed yet). Owned by the pool,
 * valid until the next call into it. */
const char *sgw_redis_pool_error(const sgw_redis_pool_t *pool);

/* Commands sent or waiting for a connection, cancelled ones included
 * until their reply or connection is gone. For tests and metrics. */
unsigned sgw_redis_pool_pending(const sgw_redis_pool_t *pool);

#endif
