/* A pooled, pipelined Redis client on hiredis's async API.
 *
 * Three objects:
 * - the pool: one per loop and URL, owned by its caller;
 * - a slot ("conn"): one per pooled connection, lives as long as the
 *   pool; holds the uv timer for back-off and deadlines;
 * - a link: one connection attempt, from name resolution to the moment
 *   hiredis frees its context. A link that failed is detached from its
 *   slot at once, so the slot can start over while hiredis is still
 *   winding the old context down (it calls every pending reply callback
 *   with NULL first); the link keeps the failure's code and text for
 *   those callbacks.
 *
 * hiredis has no "context freed" callback for a connection that never
 * connected, so the libuv adapter's cleanup hook is wrapped: hiredis calls
 * it exactly once, after the last reply callback, on every way a context
 * ends. The adapter's read/write hooks are replaced too (see
 * link_on_poll). */
#include "client/redis.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signgw/error.h"

#define SGW__REDIS_MAX_CONNS 256

typedef struct sgw_redis__link_s sgw_redis__link_t;
typedef struct sgw_redis__conn_s sgw_redis__conn_t;

typedef struct sgw_redis__list_s {
  sgw_redis_call_t *head, *tail;
} sgw_redis__list_t;

struct sgw_redis_call_s {
  sgw_redis_call_t *prev, *next; /* in its link's queue or sent list */
  sgw_redis__link_t *link;
  sgw_redis_cb cb;
  void *data;
  char *cmd; /* the command in RESP, until it is handed to hiredis */
  int cmdlen;
  uint64_t deadline; /* clock_ms() */
  unsigned timeout_ms;
  unsigned cancelled : 1;
  unsigned timed_out : 1;
};

struct sgw_redis__link_s {
  sgw_redis_pool_t *pool;
  sgw_redis__conn_t *conn; /* NULL once dead */
  redisAsyncContext *ac;   /* NULL before connecting and once freed */
  uv_getaddrinfo_t gai;
  sgw_redis__list_t queue; /* waiting for the handshake, in order */
  sgw_redis__list_t sent;  /* handed to hiredis, in reply order */
  uint64_t connect_deadline;
  const char *handshake[2]; /* names of the commands still to answer */
  int nhandshake, handshake_done;
  unsigned resolving : 1;
  unsigned connected : 1;
  unsigned ready : 1;
  unsigned dead : 1;
  unsigned freeing : 1;
  int fail_err;
  char fail_text[256];
};

struct sgw_redis__conn_s {
  sgw_redis_pool_t *pool;
  sgw_redis__link_t *link; /* the live attempt, or NULL */
  uv_timer_t timer;
  uint64_t timer_due;
  unsigned failures;   /* connect failures in a row */
  int backing_off;
};

struct sgw_redis_pool_s {
  uv_loop_t *loop;
  sgw_redis_url_t url;
  sgw_redis_opts_t o;
  sgw_redis__conn_t *conns;
  unsigned nconns, next;
  unsigned pending;
  unsigned refs; /* the pool itself, each timer, each link */
  int in_batch;
  sgw_redis__conn_t *batch; /* the connection of the batch, once chosen */
  int closing;
  char addr[270]; /* [host]:port, for messages */
  char error[300];
};

/* ---- lists ---- */

static void list_push(sgw_redis__list_t *l, sgw_redis_call_t *c) {
  c->next = NULL;
  c->prev = l->tail;
  if (l->tail != NULL)
    l->tail->next = c;
  else
    l->head = c;
  l->tail = c;
}

static void list_remove(sgw_redis__list_t *l, sgw_redis_call_t *c) {
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    l->head = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  else
    l->tail = c->prev;
  c->prev = c->next = NULL;
}

/* ---- pool lifetime ---- */

static void pool_unref(sgw_redis_pool_t *pool) {
  if (--pool->refs > 0)
    return;
  free(pool->conns);
  free(pool);
}

static void pool_set_error(sgw_redis_pool_t *pool, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pool_set_error(sgw_redis_pool_t *pool, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(pool->error, sizeof(pool->error), fmt, ap);
  va_end(ap);
}

/* ---- calls ---- */

static void call_free(sgw_redis_call_t *c) {
  free(c->cmd);
  free(c);
}

/* Runs the caller's callback (unless cancelled) and frees the call, which
 * is already out of every list. */
static void call_finish(sgw_redis_call_t *c, int err, const char *text,
                        redisReply *reply) {
  c->link->pool->pending--;
  if (!c->cancelled)
    c->cb(c->data, err, text, reply);
  call_free(c);
}

/* ---- slots: timer, back-off ---- */

/* Deadlines use the clock, not uv_now(): a command issued late in a long
 * loop iteration still gets its whole timeout. */
static uint64_t clock_ms(void) { return uv_hrtime() / 1000000; }

static void on_timer(uv_timer_t *t);

static void conn_arm(sgw_redis__conn_t *conn, uint64_t due) {
  uint64_t now = clock_ms();

  if (uv_is_active((uv_handle_t *)&conn->timer) && due >= conn->timer_due)
    return;
  conn->timer_due = due;
  uv_timer_start(&conn->timer, on_timer, due > now ? due - now : 0, 0);
}

/* The slot's attempt has ended. After an established connection broke,
 * the next command may reconnect at once; after a failed attempt the slot
 * waits, longer each time, and takes no commands meanwhile. */
static void conn_rest(sgw_redis__conn_t *conn, int was_ready) {
  sgw_redis_pool_t *pool = conn->pool;
  uint64_t delay;

  uv_timer_stop(&conn->timer);
  if (was_ready) {
    conn->failures = 0;
    return;
  }
  if (pool->closing)
    return;
  delay = pool->o.backoff_min_ms;
  for (unsigned i = 0; i < conn->failures && delay < pool->o.backoff_max_ms;
       i++)
    delay *= 2;
  if (delay > pool->o.backoff_max_ms)
    delay = pool->o.backoff_max_ms;
  conn->failures++;
  conn->backing_off = 1;
  conn->timer_due = clock_ms() + delay;
  uv_timer_start(&conn->timer, on_timer, delay, 0);
}

/* ---- links ---- */

static void link_maybe_free(sgw_redis__link_t *link) {
  if (!link->dead || link->ac != NULL || link->resolving ||
      link->queue.head != NULL || link->sent.head != NULL)
    return;
  pool_unref(link->pool);
  free(link);
}

/* The attempt failed: detach it from its slot and fail the commands that
 * waited for it. Commands already sent fail as hiredis hands them back.
 * The callbacks may issue new commands: the slot is free for them. */
static void link_vmark_dead(sgw_redis__link_t *link, int err,
                            const char *fmt, va_list ap) {
  sgw_redis_pool_t *pool = link->pool;
  sgw_redis__conn_t *conn = link->conn;
  sgw_redis_call_t *c;

  if (link->dead)
    return;
  link->dead = 1;
  link->fail_err = err;
  vsnprintf(link->fail_text, sizeof(link->fail_text), fmt, ap);
  if (err != SGW_ECANCELED)
    pool_set_error(pool, "%s", link->fail_text);
  link->conn = NULL;
  if (conn != NULL && conn->link == link) {
    conn->link = NULL;
    conn_rest(conn, link->ready);
  }
  while ((c = link->queue.head) != NULL) {
    list_remove(&link->queue, c);
    call_finish(c, err, link->fail_text, NULL);
  }
}

static void link_mark_dead(sgw_redis__link_t *link, int err,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void link_mark_dead(sgw_redis__link_t *link, int err,
                           const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  link_vmark_dead(link, err, fmt, ap);
  va_end(ap);
}

/* Ends the attempt now: marks it dead and has hiredis free the context,
 * which hands back every sent command (with the link's failure, or
 * SGW_ETIMEDOUT for the ones that ran out of time). Inside one of this
 * context's callbacks hiredis frees it when the callback returns. The
 * link may be gone when this returns. */
static void link_fail(sgw_redis__link_t *link, int err, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));
static void link_fail(sgw_redis__link_t *link, int err, const char *fmt,
                      ...) {
  va_list ap;

  va_start(ap, fmt);
  link_vmark_dead(link, err, fmt, ap);
  va_end(ap);
  if (link->ac != NULL) {
    if (!link->freeing) {
      link->freeing = 1;
      redisAsyncFree(link->ac);
    }
    return;
  }
  if (link->resolving) {
    uv_cancel((uv_req_t *)&link->gai); /* its callback frees the link */
    return;
  }
  link_maybe_free(link);
}

/* Called by hiredis (through the adapter's cleanup hook) once per context,
 * after every reply callback ran: the context is going away. */
static void link_on_cleanup(void *privdata) {
  redisLibuvEvents *ev = privdata;
  redisAsyncContext *ac = ev->context;
  sgw_redis__link_t *link = ac->data;

  redisLibuvCleanup(privdata);
  if (!link->dead)
    link_mark_dead(link, SGW_ECONN, "redis %s: %s", link->pool->addr,
                   ac->errstr ? ac->errstr : "connection closed");
  link->ac = NULL;
  link_maybe_free(link);
}

/* The libuv adapter's poll callback drops every non-zero status, and
 * libuv reports a socket error (a refused connect, a reset) only as a
 * status, with the handle stopped: the connection would hang until a
 * timeout. These event hooks replace the adapter's four with the same
 * bookkeeping and a poll callback that lets hiredis look at the socket
 * and find the error itself. */
static void link_on_poll(uv_poll_t *h, int status, int events) {
  redisLibuvEvents *ev = h->data;

  if (status != 0 && ev->context != NULL) {
    if (ev->context->c.flags & REDIS_CONNECTED)
      redisAsyncHandleRead(ev->context);
    else
      redisAsyncHandleWrite(ev->context); /* completes the connect */
    return;
  }
  if (ev->context != NULL && (events & UV_READABLE))
    redisAsyncHandleRead(ev->context);
  if (ev->context != NULL && (events & UV_WRITABLE))
    redisAsyncHandleWrite(ev->context);
}

static void link_poll_set(redisLibuvEvents *ev, int events) {
  ev->events = events;
  if (events != 0)
    uv_poll_start(&ev->handle, events, link_on_poll);
  else
    uv_poll_stop(&ev->handle);
}

static void link_add_read(void *privdata) {
  redisLibuvEvents *ev = privdata;
  link_poll_set(ev, ev->events | UV_READABLE);
}

static void link_del_read(void *privdata) {
  redisLibuvEvents *ev = privdata;
  link_poll_set(ev, ev->events & ~UV_READABLE);
}

static void link_add_write(void *privdata) {
  redisLibuvEvents *ev = privdata;
  link_poll_set(ev, ev->events | UV_WRITABLE);
}

static void link_del_write(void *privdata) {
  redisLibuvEvents *ev = privdata;
  link_poll_set(ev, ev->events & ~UV_WRITABLE);
}

static int link_send(sgw_redis__link_t *link, sgw_redis_call_t *c);
static void on_call_reply(redisAsyncContext *ac, void *r, void *privdata);

static void link_ready(sgw_redis__link_t *link) {
  sgw_redis_call_t *c;

  link->ready = 1;
  if (link->conn != NULL)
    link->conn->failures = 0;
  while (!link->dead && (c = link->queue.head) != NULL) {
    list_remove(&link->queue, c);
    if (link_send(link, c) < 0)
      call_finish(c, SGW_ECONN, "redis: the connection is closing", NULL);
  }
}

static void on_connect(const redisAsyncContext *cac, int status) {
  redisAsyncContext *ac = (redisAsyncContext *)cac;
  sgw_redis__link_t *link = ac->data;

  if (link->dead)
    return;
  if (status != REDIS_OK) {
    /* hiredis frees the context right after this returns. */
    link_mark_dead(link, SGW_ECONN, "redis %s: connect: %s",
                   link->pool->addr, ac->c.errstr);
    return;
  }
  link->connected = 1;
  if (link->handshake_done == link->nhandshake)
    link_ready(link);
}

static void on_handshake(redisAsyncContext *ac, void *r, void *privdata) {
  sgw_redis__link_t *link = privdata;
  redisReply *reply = r;
  const char *what;

  (void)ac;
  if (reply == NULL || link->dead)
    return; /* the failure is handled where it was seen */
  what = link->handshake[link->handshake_done++];
  if (reply->type == REDIS_REPLY_ERROR) {
    /* The server's words, never our password (Redis does not echo it). */
    link_fail(link, SGW_ECONN, "redis %s refused %s: %.*s", link->pool->addr,
              what, (int)(reply->len < 160 ? reply->len : 160), reply->str);
    return;
  }
  if (link->handshake_done == link->nhandshake && link->connected)
    link_ready(link);
}

static int link_send(sgw_redis__link_t *link, sgw_redis_call_t *c) {
  if (redisAsyncFormattedCommand(link->ac, on_call_reply, c, c->cmd,
                                 (size_t)c->cmdlen) != REDIS_OK)
    return SGW_ECONN;
  free(c->cmd); /* hiredis copied it into its output buffer */
  c->cmd = NULL;
  list_push(&link->sent, c);
  return 0;
}

static void on_call_reply(redisAsyncContext *ac, void *r, void *privdata) {
  sgw_redis_call_t *c = privdata;
  sgw_redis__link_t *link = c->link;
  char text[320];

  list_remove(&link->sent, c);
  if (r != NULL) {
    call_finish(c, 0, NULL, r);
    return;
  }
  if (!link->dead)
    link_mark_dead(link, SGW_ECONN, "redis %s: %s", link->pool->addr,
                   ac->errstr ? ac->errstr : "connection lost");
  if (c->timed_out) {
    snprintf(text, sizeof(text), "redis %s: no reply within %u ms",
             link->pool->addr, c->timeout_ms);
    call_finish(c, SGW_ETIMEDOUT, text, NULL);
  } else {
    call_finish(c, link->fail_err, link->fail_text, NULL);
  }
}

/* Connects to the address `ip` (numeric) and queues AUTH and SELECT. */
static void link_connect(sgw_redis__link_t *link, const char *ip) {
  sgw_redis_pool_t *pool = link->pool;
  const sgw_redis_url_t *u = &pool->url;
  redisAsyncContext *ac = redisAsyncConnect(ip, u->port);
  char db[16];

  if (ac == NULL) {
    link_fail(link, SGW_ENOMEM, "redis %s: out of memory", pool->addr);
    return;
  }
  if (ac->err != 0 || redisLibuvAttach(ac, pool->loop) != REDIS_OK) {
    link_mark_dead(link, SGW_ECONN, "redis %s: connect: %s", pool->addr,
                   ac->err ? ac->errstr : "cannot watch the socket");
    redisAsyncFree(ac); /* no events attached: nothing calls back */
    link_maybe_free(link);
    return;
  }
  if (pool->o.unref)
    uv_unref((uv_handle_t *)&((redisLibuvEvents *)ac->ev.data)->handle);
  ac->data = link;
  ac->ev.addRead = link_add_read;
  ac->ev.delRead = link_del_read;
  ac->ev.addWrite = link_add_write;
  ac->ev.delWrite = link_del_write;
  ac->ev.cleanup = link_on_cleanup;
  link->ac = ac;
  redisAsyncSetConnectCallback(ac, on_connect);
  if (u->password[0] != '\0') {
    const char *argv[3] = {"AUTH", u->user, u->password};
    int argc = 3;
    if (u->user[0] == '\0') {
      argv[1] = u->password;
      argc = 2;
    }
    link->handshake[link->nhandshake++] = "AUTH";
    redisAsyncCommandArgv(ac, on_handshake, link, argc, argv, NULL);
  }
  if (u->db != 0) {
    const char *argv[2] = {"SELECT", db};
    snprintf(db, sizeof(db), "%d", u->db);
    link->handshake[link->nhandshake++] = "SELECT";
    redisAsyncCommandArgv(ac, on_handshake, link, 2, argv, NULL);
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  sgw_redis__link_t *link = req->data;
  char ip[64] = "";

  link->resolving = 0;
  /* IPv4 first, as hiredis does: a server bound to 127.0.0.1 is reached
   * through "localhost" even where that name lists ::1 first. */
  for (int want = AF_INET; status == 0 && ip[0] == '\0' && want != 0;
       want = want == AF_INET ? AF_INET6 : 0)
    for (struct addrinfo *a = res; a != NULL && ip[0] == '\0'; a = a->ai_next)
      if (a->ai_family == want && want == AF_INET)
        uv_ip4_name((struct sockaddr_in *)a->ai_addr, ip, sizeof(ip));
      else if (a->ai_family == want)
        uv_ip6_name((struct sockaddr_in6 *)a->ai_addr, ip, sizeof(ip));
  uv_freeaddrinfo(res);
  if (link->dead) {
    link_maybe_free(link);
    return;
  }
  if (status < 0 || ip[0] == '\0') {
    link_fail(link, SGW_ECONN, "redis %s: cannot resolve the host: %s",
              link->pool->addr, status < 0 ? uv_strerror(status) : "none");
    return;
  }
  link_connect(link, ip);
}

/* Starts an attempt on a free slot. Returns its link, or NULL when it
 * failed at once (the slot then backs off). */
static sgw_redis__link_t *link_open(sgw_redis__conn_t *conn) {
  sgw_redis_pool_t *pool = conn->pool;
  sgw_redis__link_t *link = calloc(1, sizeof(*link));
  unsigned char addr[16];
  const char *host = pool->url.host;
  struct addrinfo hints;
  int rc;

  if (link == NULL) {
    pool_set_error(pool, "redis %s: out of memory", pool->addr);
    return NULL;
  }
  link->pool = pool;
  link->conn = conn;
  pool->refs++;
  conn->link = link;
  link->connect_deadline = clock_ms() + pool->o.connect_timeout_ms;
  conn_arm(conn, link->connect_deadline);
  if (uv_inet_pton(AF_INET, host, addr) == 0 ||
      uv_inet_pton(AF_INET6, host, addr) == 0) {
    link_connect(link, host);
  } else {
    /* hiredis would resolve with a blocking getaddrinfo(): the thread
     * pool does it instead, and hiredis gets the address. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    link->gai.data = link;
    link->resolving = 1;
    rc = uv_getaddrinfo(pool->loop, &link->gai, on_resolved, host, NULL,
                        &hints);
    if (rc < 0) {
      link->resolving = 0;
      link_fail(link, SGW_ECONN, "redis %s: cannot resolve the host: %s",
                pool->addr, uv_strerror(rc));
    }
  }
  return conn->link == link ? link : NULL;
}

/* Whether the connection's socket has bytes (or an end) to read now. */
static int link_has_input(const sgw_redis__link_t *link) {
  struct pollfd p;

  if (link->ac == NULL || !link->connected || link->freeing)
    return 0;
  p.fd = link->ac->c.fd;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* Deadlines of one attempt: the connection itself, commands waiting for
 * it, commands sent on it. */
static void link_check(sgw_redis__link_t *link, uint64_t now) {
  sgw_redis_pool_t *pool = link->pool;
  sgw_redis__conn_t *conn = link->conn;
  sgw_redis_call_t *c;
  uint64_t due = UINT64_MAX;
  int expired = 0;

  if (!link->ready && now >= link->connect_deadline) {
    link_fail(link, SGW_ETIMEDOUT, "redis %s: not connected within %u ms",
              pool->addr, pool->o.connect_timeout_ms);
    return;
  }
  for (;;) {
    char text[320];
    for (c = link->queue.head; c != NULL && c->deadline > now; c = c->next)
      ;
    if (c == NULL)
      break;
    list_remove(&link->queue, c);
    snprintf(text, sizeof(text), "redis %s: no connection within %u ms",
             pool->addr, c->timeout_ms);
    call_finish(c, SGW_ETIMEDOUT, text, NULL);
  }
  for (c = link->sent.head; c != NULL; c = c->next)
    if (c->deadline <= now)
      expired = 1;
  if (expired && link_has_input(link)) {
    /* This thread was late, maybe not the server: after a stall (a busy
     * machine), timers run before the loop reads its sockets, and the
     * replies may be waiting there. Let the loop read them, then look
     * again. Replies come in order, so this ends once the socket is
     * drained without the one that is late. */
    conn_arm(conn, now + 1);
    return;
  }
  for (c = link->sent.head; c != NULL; c = c->next)
    if (c->deadline <= now)
      c->timed_out = 1;
  if (expired) {
    /* The replies still due on this connection are in an order nobody
     * waits for any more: start over on a fresh one. */
    link_fail(link, SGW_ECONN, "redis %s: connection dropped after a "
              "command on it timed out", pool->addr);
    return;
  }
  if (!link->ready)
    due = link->connect_deadline;
  for (c = link->queue.head; c != NULL; c = c->next)
    if (c->deadline < due)
      due = c->deadline;
  for (c = link->sent.head; c != NULL; c = c->next)
    if (c->deadline < due)
      due = c->deadline;
  if (due != UINT64_MAX && conn != NULL)
    conn_arm(conn, due);
}

static void on_timer(uv_timer_t *t) {
  sgw_redis__conn_t *conn = t->data;

  if (conn->link == NULL) {
    conn->backing_off = 0; /* the next command may try again */
    return;
  }
  link_check(conn->link, clock_ms());
}

/* ---- pool ---- */

static void on_timer_closed(uv_handle_t *h) {
  sgw_redis__conn_t *conn = h->data;

  pool_unref(conn->pool);
}

int sgw_redis_pool_open(uv_loop_t *loop, const char *url,
                        const sgw_redis_opts_t *opts, sgw_redis_pool_t **out,
                        char *err, size_t errlen) {
  sgw_redis_pool_t *pool;
  sgw_redis_opts_t o = {0};
  int rc;

  *out = NULL;
  if (opts != NULL)
    o = *opts;
  if (o.connections == 0)
    o.connections = 2;
  if (o.connect_timeout_ms == 0)
    o.connect_timeout_ms = 1000;
  if (o.command_timeout_ms == 0)
    o.command_timeout_ms = 1000;
  if (o.backoff_min_ms == 0)
    o.backoff_min_ms = 100;
  if (o.backoff_max_ms == 0)
    o.backoff_max_ms = 2000;
  if (o.backoff_max_ms < o.backoff_min_ms)
    o.backoff_max_ms = o.backoff_min_ms;
  if (o.max_pending == 0)
    o.max_pending = 10000;
  if (o.connections > SGW__REDIS_MAX_CONNS) {
    snprintf(err, errlen, "redis: at most %d connections per pool",
             SGW__REDIS_MAX_CONNS);
    return SGW_EINVAL;
  }
  if ((pool = calloc(1, sizeof(*pool))) == NULL ||
      (pool->conns = calloc(o.connections, sizeof(*pool->conns))) == NULL) {
    free(pool);
    snprintf(err, errlen, "redis: out of memory");
    return SGW_ENOMEM;
  }
  if ((rc = sgw_redis_url_parse(url, &pool->url, err, errlen)) < 0) {
    free(pool->conns);
    free(pool);
    return rc;
  }
  pool->loop = loop;
  pool->o = o;
  pool->nconns = o.connections;
  pool->refs = 1;
  snprintf(pool->addr, sizeof(pool->addr),
           strchr(pool->url.host, ':') ? "[%s]:%d" : "%s:%d", pool->url.host,
           pool->url.port);
  for (unsigned i = 0; i < pool->nconns; i++) {
    sgw_redis__conn_t *conn = &pool->conns[i];
    conn->pool = pool;
    uv_timer_init(loop, &conn->timer);
    if (o.unref)
      uv_unref((uv_handle_t *)&conn->timer);
    conn->timer.data = conn;
    pool->refs++;
  }
  *out = pool;
  return 0;
}

void sgw_redis_pool_close(sgw_redis_pool_t *pool) {
  if (pool == NULL || pool->closing)
    return;
  pool->closing = 1;
  for (unsigned i = 0; i < pool->nconns; i++) {
    sgw_redis__conn_t *conn = &pool->conns[i];
    uv_timer_stop(&conn->timer);
    if (conn->link != NULL)
      link_fail(conn->link, SGW_ECANCELED, "redis %s: the pool was closed",
                pool->addr);
    uv_close((uv_handle_t *)&conn->timer, on_timer_closed);
  }
  pool_unref(pool);
}

/* Commands that would change the state every user of a pipelined, shared
 * connection relies on, or that hiredis's reply bookkeeping cannot
 * follow (subscriptions, monitor). */
static const char *refused_command(int argc, const char *const *argv,
                                   const size_t *argvlen) {
  static const char *const names[] = {
      "AUTH",      "SELECT",     "HELLO",        "RESET",   "QUIT",
      "MULTI",     "EXEC",       "DISCARD",      "WATCH",   "UNWATCH",
      "MONITOR",   "SYNC",       "PSYNC",        "SUBSCRIBE", "PSUBSCRIBE",
      "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", NULL};
  size_t len = argvlen ? argvlen[0] : strlen(argv[0]);

  for (int i = 0; names[i] != NULL; i++)
    if (strlen(names[i]) == len && strncasecmp(argv[0], names[i], len) == 0)
      return names[i];
  if (len == 6 && strncasecmp(argv[0], "CLIENT", 6) == 0 && argc > 1 &&
      (argvlen ? argvlen[1] : strlen(argv[1])) == 5 &&
      strncasecmp(argv[1], "REPLY", 5) == 0)
    return "CLIENT REPLY";
  return NULL;
}

/* Writes n in decimal at p; returns the end. */
static char *put_size(char *p, size_t n) {
  char tmp[24];
  int i = 0;

  do
    tmp[i++] = (char)('0' + n % 10);
  while ((n /= 10) != 0);
  while (i > 0)
    *p++ = tmp[--i];
  return p;
}

static size_t size_digits(size_t n) {
  size_t d = 1;

  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

/* The command in RESP (an array of bulk strings), in a new buffer the
 * caller frees; its length, or -1 (out of memory, or over INT_MAX).
 * hiredis's redisFormatCommandArgv does the same with a sprintf per
 * argument: this runs for every command, on the request path. */
static int format_command(char **out, int argc, const char *const *argv,
                          const size_t *argvlen) {
  size_t total = 1 + size_digits((size_t)argc) + 2;
  char *buf, *p;

  for (int i = 0; i < argc; i++) {
    size_t len = argvlen ? argvlen[i] : strlen(argv[i]);
    if (len > (size_t)INT_MAX || total > (size_t)INT_MAX - len - 32)
      return -1;
    total += 1 + size_digits(len) + 2 + len + 2;
  }
  if (total > (size_t)INT_MAX || (buf = malloc(total)) == NULL)
    return -1;
  p = buf;
  *p++ = '*';
  p = put_size(p, (size_t)argc);
  *p++ = '\r';
  *p++ = '\n';
  for (int i = 0; i < argc; i++) {
    size_t len = argvlen ? argvlen[i] : strlen(argv[i]);
    *p++ = '$';
    p = put_size(p, len);
    *p++ = '\r';
    *p++ = '\n';
    memcpy(p, argv[i], len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
  }
  *out = buf;
  return (int)(p - buf);
}

int sgw_redis_call(sgw_redis_pool_t *pool, int argc, const char *const *argv,
                   const size_t *argvlen, unsigned timeout_ms,
                   sgw_redis_cb cb, void *data, sgw_redis_call_t **out) {
  sgw_redis__link_t *link = NULL;
  sgw_redis__conn_t *conn = NULL;
  sgw_redis_call_t *c;
  const char *refused;

  if (out != NULL)
    *out = NULL;
  if (pool->closing) {
    pool_set_error(pool, "redis %s: the pool is closed", pool->addr);
    return SGW_ECANCELED;
  }
  if (argc < 1 || argv == NULL || cb == NULL ||
      (argvlen ? argvlen[0] : strlen(argv[0])) == 0) {
    pool_set_error(pool, "redis: no command");
    return SGW_EINVAL;
  }
  if ((refused = refused_command(argc, argv, argvlen)) != NULL) {
    pool_set_error(pool, "redis: %s is not allowed on a shared connection",
                   refused);
    return SGW_EINVAL;
  }
  if (pool->pending >= pool->o.max_pending) {
    pool_set_error(pool, "redis %s: %u commands pending already",
                   pool->addr, pool->pending);
    return SGW_EBUSY;
  }
  if ((c = calloc(1, sizeof(*c))) == NULL ||
      (c->cmdlen = format_command(&c->cmd, argc, argv, argvlen)) < 0) {
    free(c);
    pool_set_error(pool, "redis: out of memory");
    return SGW_ENOMEM;
  }
  if (pool->in_batch && pool->batch != NULL) {
    /* Only this connection keeps the batch in order. */
    conn = pool->batch;
    link = conn->link;
    if (link == NULL)
      pool_set_error(pool, "redis %s: the connection of this batch is gone",
                     pool->addr);
  }
  for (unsigned i = 0; i < pool->nconns && link == NULL && pool->batch == NULL;
       i++) {
    conn = &pool->conns[(pool->next + i) % pool->nconns];
    if (conn->link != NULL)
      link = conn->link;
    else if (!conn->backing_off)
      link = link_open(conn);
    if (link != NULL)
      pool->next = (unsigned)((conn - pool->conns) + 1) % pool->nconns;
  }
  if (link != NULL && pool->in_batch)
    pool->batch = conn;
  if (link == NULL) {
    call_free(c);
    if (pool->error[0] == '\0')
      pool_set_error(pool, "redis %s: unavailable", pool->addr);
    return SGW_ECONN;
  }
  c->link = link;
  c->cb = cb;
  c->data = data;
  c->timeout_ms = timeout_ms ? timeout_ms : pool->o.command_timeout_ms;
  c->deadline = clock_ms() + c->timeout_ms;
  if (link->ready) {
    if (link_send(link, c) < 0) {
      call_free(c);
      pool_set_error(pool, "redis %s: the connection is closing",
                     pool->addr);
      return SGW_ECONN;
    }
  } else {
    list_push(&link->queue, c);
  }
  pool->pending++;
  conn_arm(conn, c->deadline);
  if (out != NULL)
    *out = c;
  return 0;
}

void sgw_redis_batch_begin(sgw_redis_pool_t *pool) {
  pool->in_batch = 1;
  pool->batch = NULL;
}

void sgw_redis_batch_end(sgw_redis_pool_t *pool) {
  pool->in_batch = 0;
  pool->batch = NULL;
}

void sgw_redis_call_cancel(sgw_redis_call_t *c) {
  sgw_redis__link_t *link;

  if (c == NULL || c->cancelled)
    return;
  link = c->link;
  if (c->cmd != NULL) { /* still waiting for its connection */
    list_remove(&link->queue, c);
    link->pool->pending--;
    call_free(c);
    return;
  }
  /* On the wire: hiredis holds it until the reply (or the end of the
   * connection), which is then dropped. */
  c->cancelled = 1;
  c->cb = NULL;
  c->data = NULL;
}

const char *sgw_redis_pool_error(const sgw_redis_pool_t *pool) {
  return pool->error;
}

unsigned sgw_redis_pool_pending(const sgw_redis_pool_t *pool) {
  return pool->pending;
}
