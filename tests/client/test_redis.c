/* The Redis client (src/client/redis.c) against a real redis-server.
 *
 * Each group starts its own redis-server (the Debian package) on a free
 * loopback port, without persistence, and drives the client on a libuv
 * loop. What a reply must be comes from Redis's documented behaviour;
 * where the client claims to have changed server state (the database
 * chosen by the URL, connections opened) redis-cli, an independent
 * client, checks it. Covers: URL parsing, every reply type, binary-safe
 * arguments, pipelining and its order, spreading over the pool, AUTH
 * (good, bad, ACL user), SELECT, EVAL/EVALSHA and NOSCRIPT, refused
 * commands, the pending cap, command and connect timeouts, a loop that
 * stalls past a timeout with the reply already in its socket, a server
 * killed mid-run and restarted, cancel, and closing with commands in
 * flight (LeakSanitizer checks that nothing leaks). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "client/redis.h"
#include "signgw/error.h"
#include "test.h"

static uv_loop_t loop;
static uv_timer_t tick; /* keeps UV_RUN_ONCE from sleeping for long */

/* ---- redis-server and redis-cli ---- */

typedef struct server_s {
  pid_t pid;
  int port;
  const char *password; /* NULL: none */
} server_t;

static int free_port(void) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0), port;

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
    perror("free_port");
    exit(2);
  }
  port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static int port_open(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

/* Starts redis-server on s->port; waits until it accepts connections. */
static void server_start(server_t *s) {
  char port[16];
  const char *argv[24];
  int n = 0;

  snprintf(port, sizeof(port), "%d", s->port);
  argv[n++] = "redis-server";
  argv[n++] = "--port";
  argv[n++] = port;
  argv[n++] = "--bind";
  argv[n++] = "127.0.0.1";
  argv[n++] = "--save";
  argv[n++] = "";
  argv[n++] = "--appendonly";
  argv[n++] = "no";
  argv[n++] = "--enable-debug-command";
  argv[n++] = "local";
  argv[n++] = "--daemonize";
  argv[n++] = "no";
  argv[n++] = "--dir";
  argv[n++] = "/tmp";
  if (s->password != NULL) {
    argv[n++] = "--requirepass";
    argv[n++] = s->password;
  }
  argv[n] = NULL;
  fflush(stdout);
  s->pid = fork();
  if (s->pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    if (port_open(s->port))
      return;
    usleep(10000);
  }
  printf("redis-server did not start on port %d\n", s->port);
  exit(2);
}

static void server_kill(server_t *s, int sig) {
  int status;

  if (s->pid <= 0)
    return;
  kill(s->pid, sig);
  waitpid(s->pid, &status, 0);
  s->pid = 0;
}

/* Runs redis-cli against s with `args`; returns its trimmed output
 * (static buffer). */
static const char *cli(const server_t *s, const char *args) {
  static char out[4096];
  char cmd[1024];
  size_t n;
  FILE *f;

  snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d %s%s%s %s", s->port,
           s->password ? "--no-auth-warning -a '" : "",
           s->password ? s->password : "", s->password ? "'" : "", args);
  if ((f = popen(cmd, "r")) == NULL)
    return "";
  n = fread(out, 1, sizeof(out) - 1, f);
  pclose(f);
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
    n--;
  out[n] = '\0';
  return out;
}

/* ---- the loop ---- */

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

static void on_tick(uv_timer_t *t) { (void)t; }

/* Runs the loop until *done reaches `want` or `ms` pass. */
static void run_until(const int *done, int want, unsigned ms) {
  uint64_t end = now_ms() + ms;

  while (*done < want && now_ms() < end)
    uv_run(&loop, UV_RUN_ONCE);
}

/* ---- results ---- */

typedef struct result_s {
  int called;
  int err;
  char text[512];
  int type;
  long long integer;
  char str[512];
  size_t len;
  size_t elements;
  uint64_t at; /* when the callback ran (ms) */
  int order;   /* position among the callbacks of a batch */
  int *counter;
} result_t;

static int batch_done;

static void on_result(void *data, int err, const char *text,
                      redisReply *reply) {
  result_t *r = data;

  r->called++;
  r->err = err;
  r->at = now_ms();
  r->order = batch_done++;
  if (r->counter != NULL)
    (*r->counter)++;
  if (err < 0) {
    CHECK(text != NULL && reply == NULL);
    snprintf(r->text, sizeof(r->text), "%s", text ? text : "");
    return;
  }
  CHECK(text == NULL && reply != NULL);
  r->type = reply->type;
  r->integer = reply->integer;
  r->elements = reply->elements;
  r->len = reply->len;
  if (reply->str != NULL) {
    size_t n = reply->len < sizeof(r->str) ? reply->len : sizeof(r->str) - 1;
    memcpy(r->str, reply->str, n);
    r->str[n] = '\0';
  }
}

/* One command, run to its answer (up to 5 s). */
static result_t cmd(sgw_redis_pool_t *pool, unsigned timeout_ms, int argc,
                    const char *const *argv, const size_t *lens) {
  result_t r = {0};
  int rc;

  batch_done = 0;
  rc = sgw_redis_call(pool, argc, argv, lens, timeout_ms, on_result, &r,
                      NULL);
  if (rc < 0) {
    r.called = 1;
    r.err = rc;
    snprintf(r.text, sizeof(r.text), "%s", sgw_redis_pool_error(pool));
    return r;
  }
  run_until(&r.called, 1, 5000);
  return r;
}

#define CMD(pool, ...)                                                         \
  cmd((pool), 0, (int)(sizeof((const char *[]){__VA_ARGS__}) /                 \
                       sizeof(const char *)),                                  \
      (const char *const[]){__VA_ARGS__}, NULL)

static sgw_redis_pool_t *pool_open(const char *url,
                                   const sgw_redis_opts_t *o) {
  sgw_redis_pool_t *pool = NULL;
  char err[256];

  if (sgw_redis_pool_open(&loop, url, o, &pool, err, sizeof(err)) < 0) {
    printf("pool_open %s: %s\n", url, err);
    exit(2);
  }
  return pool;
}

/* Closes the pool and lets the loop release its handles. */
static void pool_close(sgw_redis_pool_t *pool) {
  sgw_redis_pool_close(pool);
  for (int i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* ---- URL ---- */

static void test_url(void) {
  sgw_redis_url_t u;
  char err[256];
  static const char *const bad[] = {
      "",
      "http://127.0.0.1",
      "rediss://127.0.0.1",
      "redis://",
      "redis://:6379",
      "redis://host:0",
      "redis://host:65536",
      "redis://host:12a",
      "redis://host:",
      "redis://host/x",
      "redis://host/1/2",
      "redis://host/-1",
      "redis://host/1234567890",
      "redis://host?db=1",
      "redis://host#x",
      "redis://ho st",
      "redis://ho\tst",
      "redis://secretpw@host",
      "redis://:@host",
      "redis://user:@host",
      "redis://:pa%zzss@host",
      "redis://:pa%00ss@host",
      "redis://:pa%4@host",
      "redis://[::1",
      "redis://[nothex]:6379",
      "redis://[::1]x",
      "redis://h*st",
      NULL};

  test_case("url: defaults");
  CHECK_EQ_INT(sgw_redis_url_parse("redis://127.0.0.1", &u, err, sizeof(err)),
               0);
  CHECK_EQ_STR(u.host, "127.0.0.1");
  CHECK_EQ_INT(u.port, 6379);
  CHECK_EQ_INT(u.db, 0);
  CHECK_EQ_STR(u.user, "");
  CHECK_EQ_STR(u.password, "");

  test_case("url: every part");
  CHECK_EQ_INT(sgw_redis_url_parse("REDIS://:s%40cr%3At@cache.example:6380/7",
                                   &u, err, sizeof(err)), 0);
  CHECK_EQ_STR(u.host, "cache.example");
  CHECK_EQ_INT(u.port, 6380);
  CHECK_EQ_INT(u.db, 7);
  CHECK_EQ_STR(u.user, "");
  CHECK_EQ_STR(u.password, "s@cr:t");
  CHECK_EQ_INT(sgw_redis_url_parse("redis://app:p@ss@[::1]:7000/", &u, err,
                                   sizeof(err)), 0);
  CHECK_EQ_STR(u.host, "::1");
  CHECK_EQ_INT(u.port, 7000);
  CHECK_EQ_INT(u.db, 0);
  CHECK_EQ_STR(u.user, "app");
  CHECK_EQ_STR(u.password, "p@ss");

  test_case("url: refused, and the reason never repeats the URL");
  for (int i = 0; bad[i] != NULL; i++) {
    err[0] = '\0';
    if (!CHECK_EQ_INT(sgw_redis_url_parse(bad[i], &u, err, sizeof(err)),
                      SGW_EINVAL))
      printf("    accepted: %s\n", bad[i]);
    CHECK(strncmp(err, "redis URL: ", 11) == 0);
    CHECK(strstr(err, "secretpw") == NULL && strstr(err, "pa%") == NULL);
  }
}

/* ---- replies ---- */

static void test_replies(const server_t *s) {
  char url[64];
  sgw_redis_pool_t *pool;
  result_t r;
  static const char bin[] = "a\0b\r\n$3\r\nc";
  const char *argv[3] = {"SET", "bin\0key", bin};
  size_t lens[3] = {3, 7, sizeof(bin) - 1};

  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  pool = pool_open(url, NULL);

  test_case("status reply");
  r = CMD(pool, "SET", "k1", "hello");
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_INT(r.type, REDIS_REPLY_STATUS);
  CHECK_EQ_STR(r.str, "OK");

  test_case("string reply");
  r = CMD(pool, "GET", "k1");
  CHECK_EQ_INT(r.type, REDIS_REPLY_STRING);
  CHECK_EQ_STR(r.str, "hello");
  CHECK_EQ_STR(cli(s, "GET k1"), "hello");

  test_case("nil reply");
  r = CMD(pool, "GET", "no-such-key");
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_INT(r.type, REDIS_REPLY_NIL);

  test_case("integer reply");
  r = CMD(pool, "INCRBY", "n1", "41");
  CHECK_EQ_INT(r.type, REDIS_REPLY_INTEGER);
  CHECK_EQ_INT(r.integer, 41);

  test_case("array reply");
  CMD(pool, "RPUSH", "l1", "a", "b", "c");
  r = CMD(pool, "LRANGE", "l1", "0", "-1");
  CHECK_EQ_INT(r.type, REDIS_REPLY_ARRAY);
  CHECK_EQ_INT(r.elements, 3);

  test_case("error reply is an answer, not a failure");
  r = CMD(pool, "INCR", "k1");
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_INT(r.type, REDIS_REPLY_ERROR);
  CHECK(strstr(r.str, "not an integer") != NULL);
  r = CMD(pool, "NOSUCHCOMMAND");
  CHECK_EQ_INT(r.type, REDIS_REPLY_ERROR);

  test_case("binary-safe arguments and replies");
  r = cmd(pool, 0, 3, argv, lens);
  CHECK_EQ_STR(r.str, "OK");
  argv[0] = "GET";
  r = cmd(pool, 0, 2, argv, lens);
  CHECK_EQ_INT(r.type, REDIS_REPLY_STRING);
  CHECK_MEM(r.str, r.len, bin, sizeof(bin) - 1);

  test_case("EVAL and EVALSHA; NOSCRIPT is an error reply");
  {
    const char *script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    char sha[41];
    r = CMD(pool, "EVAL", script, "1", "ev", "5");
    CHECK_EQ_INT(r.type, REDIS_REPLY_INTEGER);
    CHECK_EQ_INT(r.integer, 5);
    r = CMD(pool, "SCRIPT", "LOAD", script);
    CHECK_EQ_INT(r.type, REDIS_REPLY_STRING);
    CHECK_EQ_INT(r.len, 40);
    memcpy(sha, r.str, 40);
    sha[40] = '\0';
    CHECK_EQ_STR(cli(s, "SCRIPT EXISTS 0000000000000000000000000000000000000000"),
                 "0");
    r = CMD(pool, "EVALSHA", sha, "1", "ev", "5");
    CHECK_EQ_INT(r.type, REDIS_REPLY_INTEGER);
    CHECK_EQ_INT(r.integer, 10);
    r = CMD(pool, "EVALSHA", "0000000000000000000000000000000000000000", "1",
            "ev", "5");
    CHECK_EQ_INT(r.err, 0);
    CHECK_EQ_INT(r.type, REDIS_REPLY_ERROR);
    CHECK(strncmp(r.str, "NOSCRIPT", 8) == 0);
    r = CMD(pool, "EVAL", "return {1, 'two', {3}}", "0");
    CHECK_EQ_INT(r.type, REDIS_REPLY_ARRAY);
    CHECK_EQ_INT(r.elements, 3);
    r = CMD(pool, "EVAL", "return redis.error_reply('QUOTA over')", "0");
    CHECK_EQ_INT(r.type, REDIS_REPLY_ERROR);
    CHECK_EQ_STR(r.str, "QUOTA over");
  }

  test_case("refused commands and bad calls fail at once");
  {
    static const char *const refused[][3] = {
        {"SUBSCRIBE", "ch", NULL}, {"psubscribe", "c*", NULL},
        {"SSUBSCRIBE", "ch", NULL}, {"MULTI", NULL, NULL},
        {"SELECT", "2", NULL},     {"AUTH", "x", NULL},
        {"MONITOR", NULL, NULL},   {"client", "reply", "off"},
        {"QUIT", NULL, NULL},      {"HELLO", "3", NULL}};
    const char *empty[1] = {""};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
      int argc = refused[i][1] == NULL ? 1 : refused[i][2] == NULL ? 2 : 3;
      r = cmd(pool, 0, argc, refused[i], NULL);
      CHECK_EQ_INT(r.err, SGW_EINVAL);
      CHECK(strstr(r.text, "not allowed") != NULL);
    }
    r = cmd(pool, 0, 0, empty, NULL);
    CHECK_EQ_INT(r.err, SGW_EINVAL);
    r = cmd(pool, 0, 1, empty, NULL);
    CHECK_EQ_INT(r.err, SGW_EINVAL);
    /* CLIENT with another subcommand is fine. */
    r = CMD(pool, "CLIENT", "SETNAME", "sgwtest");
    CHECK_EQ_STR(r.str, "OK");
  }
  pool_close(pool);
}

/* ---- pipelining ---- */

#define CONNECTIONS                                                            \
  "INFO stats | tr -d '\\r' | sed -n 's/^total_connections_received://p'"

static void test_pipelining(const server_t *s) {
  enum { N = 2000 };
  static result_t res[N];
  const char *argv[2] = {"INCR", "pipe"};
  sgw_redis_opts_t o = {.connections = 1};
  sgw_redis_pool_t *pool;
  char url[64];
  int done = 0, inorder = 1, values = 1;

  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  pool = pool_open(url, &o);
  test_case("pipelining: all in flight at once, answers in order");
  batch_done = 0;
  memset(res, 0, sizeof(res));
  for (int i = 0; i < N; i++) {
    res[i].counter = &done;
    CHECK_EQ_INT(sgw_redis_call(pool, 2, argv, NULL, 5000, on_result, &res[i],
                                NULL), 0);
  }
  CHECK_EQ_INT(sgw_redis_pool_pending(pool), N);
  run_until(&done, N, 10000);
  CHECK_EQ_INT(done, N);
  for (int i = 0; i < N; i++) {
    inorder &= res[i].order == i;
    values &= res[i].err == 0 && res[i].integer == i + 1;
  }
  CHECK(inorder);
  CHECK(values);
  CHECK_EQ_INT(sgw_redis_pool_pending(pool), 0);
  CHECK_EQ_STR(cli(s, "GET pipe"), "2000");
  pool_close(pool);

  test_case("commands spread over the pool's connections");
  {
    sgw_redis_opts_t o4 = {.connections = 4};
    char before[32], after[32];
    const char *ping[1] = {"PING"};
    snprintf(before, sizeof(before), "%s", cli(s, CONNECTIONS));
    pool = pool_open(url, &o4);
    done = 0;
    batch_done = 0;
    memset(res, 0, 100 * sizeof(res[0]));
    for (int i = 0; i < 100; i++) {
      res[i].counter = &done;
      sgw_redis_call(pool, 1, ping, NULL, 5000, on_result, &res[i], NULL);
    }
    run_until(&done, 100, 10000);
    CHECK_EQ_INT(done, 100);
    CHECK_EQ_STR(res[99].str, "PONG");
    snprintf(after, sizeof(after), "%s", cli(s, CONNECTIONS));
    /* Connections the server accepted: the pool's 4, and redis-cli's. */
    CHECK_EQ_INT(atoi(after) - atoi(before), 5);
    pool_close(pool);
  }
}

/* ---- AUTH and SELECT ---- */

static void test_auth(void) {
  server_t s = {.port = free_port(), .password = "sgw-Redis-pw"};
  sgw_redis_pool_t *pool;
  char url[128];
  result_t r;

  server_start(&s);
  test_case("AUTH with the right password");
  snprintf(url, sizeof(url), "redis://:sgw-Redis-pw@127.0.0.1:%d", s.port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "PING");
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_STR(r.str, "PONG");
  pool_close(pool);

  test_case("AUTH as an ACL user (user:password)");
  snprintf(url, sizeof(url), "redis://default:sgw-Redis-pw@127.0.0.1:%d/2",
           s.port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "SET", "acl", "yes");
  CHECK_EQ_STR(r.str, "OK");
  CHECK_EQ_STR(cli(&s, "-n 2 GET acl"), "yes");
  pool_close(pool);

  test_case("a wrong password fails the connection, and is never shown");
  snprintf(url, sizeof(url), "redis://:Not-The-Pw-9@127.0.0.1:%d", s.port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "PING");
  CHECK_EQ_INT(r.err, SGW_ECONN);
  CHECK(strstr(r.text, "refused AUTH") != NULL);
  CHECK(strstr(r.text, "Not-The-Pw-9") == NULL);
  printf("    (%s)\n", r.text);
  /* The slot backs off: the next command fails at once. */
  r = CMD(pool, "PING");
  CHECK_EQ_INT(r.err, SGW_ECONN);
  CHECK(strstr(sgw_redis_pool_error(pool), "Not-The-Pw-9") == NULL);
  pool_close(pool);

  test_case("no password: Redis answers NOAUTH");
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s.port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "PING");
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_INT(r.type, REDIS_REPLY_ERROR);
  CHECK(strncmp(r.str, "NOAUTH", 6) == 0);
  pool_close(pool);
  server_kill(&s, SIGTERM);
}

static void test_select(const server_t *s) {
  sgw_redis_pool_t *pool;
  char url[128];
  result_t r;

  test_case("the URL's database is selected before any command");
  snprintf(url, sizeof(url), "redis://localhost:%d/3", s->port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "SET", "dbkey", "in-three");
  CHECK_EQ_STR(r.str, "OK");
  CHECK_EQ_STR(cli(s, "-n 3 GET dbkey"), "in-three");
  CHECK_EQ_STR(cli(s, "-n 0 EXISTS dbkey"), "0");
  pool_close(pool);

  test_case("a database the server lacks fails the connection");
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d/99", s->port);
  pool = pool_open(url, NULL);
  r = CMD(pool, "PING");
  CHECK_EQ_INT(r.err, SGW_ECONN);
  CHECK(strstr(r.text, "refused SELECT") != NULL);
  pool_close(pool);
}

/* ---- timeouts ---- */

static void test_timeouts(const server_t *s) {
  sgw_redis_opts_t o = {.connections = 1, .command_timeout_ms = 200};
  result_t slow = {0}, ping = {0}, after = {0};
  const char *sleep1[3] = {"DEBUG", "SLEEP", "1"};
  const char *pingv[1] = {"PING"};
  sgw_redis_pool_t *pool;
  char url[64];
  uint64_t t0;
  int done = 0;

  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  pool = pool_open(url, &o);
  CMD(pool, "PING"); /* connected */

  test_case("timeout: DEBUG SLEEP 1 with a 200 ms timeout");
  slow.counter = ping.counter = &done;
  t0 = now_ms();
  sgw_redis_call(pool, 3, sleep1, NULL, 0, on_result, &slow, NULL);
  /* Sent behind it on the same connection, with a long timeout. */
  sgw_redis_call(pool, 1, pingv, NULL, 5000, on_result, &ping, NULL);
  run_until(&done, 2, 3000);
  CHECK_EQ_INT(slow.err, SGW_ETIMEDOUT);
  CHECK(slow.at - t0 >= 195 && slow.at - t0 < 700);
  printf("    timed out after %llu ms: %s\n",
         (unsigned long long)(slow.at - t0), slow.text);
  test_case("timeout: the other command on that connection fails too");
  CHECK_EQ_INT(ping.err, SGW_ECONN);
  CHECK(ping.at - t0 < 700);
  test_case("timeout: a new connection serves the next command");
  after = cmd(pool, 3000, 1, pingv, NULL);
  CHECK_EQ_INT(after.err, 0);
  CHECK_EQ_STR(after.str, "PONG");
  pool_close(pool);

  test_case("connect timeout: a server that never answers the handshake");
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    sgw_redis_opts_t oc = {.connections = 1, .connect_timeout_ms = 300};
    result_t r;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    listen(fd, 16); /* the kernel completes connects; nobody reads */
    getsockname(fd, (struct sockaddr *)&a, &len);
    snprintf(url, sizeof(url), "redis://:pw@127.0.0.1:%d",
             ntohs(a.sin_port));
    pool = pool_open(url, &oc);
    t0 = now_ms();
    r = cmd(pool, 2000, 1, pingv, NULL);
    CHECK_EQ_INT(r.err, SGW_ETIMEDOUT);
    CHECK(r.at - t0 >= 295 && r.at - t0 < 800);
    CHECK(strstr(r.text, "not connected within 300 ms") != NULL);
    pool_close(pool);

    test_case("command timeout on a server that never answers");
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", ntohs(a.sin_port));
    pool = pool_open(url, &oc);
    t0 = now_ms();
    r = cmd(pool, 250, 1, pingv, NULL);
    CHECK_EQ_INT(r.err, SGW_ETIMEDOUT);
    CHECK(r.at - t0 >= 245 && r.at - t0 < 750);
    pool_close(pool);
    close(fd);
  }
}

/* The loop thread stalls (a busy machine) after a command went out: the
 * reply sits in the socket when the timer fires, and must be read, not
 * counted as a timeout. */
static void test_stall(const server_t *s) {
  sgw_redis_opts_t o = {.connections = 1, .command_timeout_ms = 200};
  const char *pingv[1] = {"PING"};
  sgw_redis_pool_t *pool;
  result_t r = {0};
  char url[64];

  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  pool = pool_open(url, &o);
  CMD(pool, "PING"); /* connected */
  test_case("a stalled loop reads the waiting reply instead of timing out");
  batch_done = 0;
  CHECK_EQ_INT(sgw_redis_call(pool, 1, pingv, NULL, 0, on_result, &r, NULL),
               0);
  uv_run(&loop, UV_RUN_NOWAIT); /* written; the reply is not read yet */
  CHECK_EQ_INT(r.called, 0);
  usleep(400 * 1000); /* past the 200 ms timeout, on this thread */
  run_until(&r.called, 1, 3000);
  CHECK_EQ_INT(r.err, 0);
  CHECK_EQ_STR(r.str, "PONG");
  pool_close(pool);
}

/* ---- the server goes away and comes back ---- */

static void test_restart(void) {
  server_t s = {.port = free_port()};
  sgw_redis_opts_t o = {.connections = 2, .command_timeout_ms = 500,
                        .backoff_min_ms = 50, .backoff_max_ms = 400};
  sgw_redis_pool_t *pool;
  char url[64];
  result_t r;
  uint64_t t0;
  int failed = 0, recovered = 0;

  server_start(&s);
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s.port);
  pool = pool_open(url, &o);
  r = CMD(pool, "SET", "alive", "1");
  CHECK_EQ_STR(r.str, "OK");
  CMD(pool, "PING");

  test_case("server killed: commands fail within their timeout");
  server_kill(&s, SIGKILL);
  t0 = now_ms();
  for (int i = 0; i < 10; i++) {
    r = CMD(pool, "GET", "alive");
    failed += r.err == SGW_ECONN || r.err == SGW_ETIMEDOUT;
    CHECK(now_ms() - t0 < 500 * (uint64_t)(i + 1));
  }
  CHECK_EQ_INT(failed, 10);
  printf("    10 failures in %llu ms: %s\n",
         (unsigned long long)(now_ms() - t0), r.text);

  test_case("server back on the same port: the pool recovers");
  server_start(&s);
  t0 = now_ms();
  while (now_ms() - t0 < 3000) {
    r = CMD(pool, "PING");
    if (r.err == 0) {
      recovered = 1;
      break;
    }
    run_until(&recovered, 1, 20); /* back-off timers run */
  }
  CHECK(recovered);
  CHECK(now_ms() - t0 < 1500);
  printf("    recovered after %llu ms\n", (unsigned long long)(now_ms() - t0));
  for (int i = 0; i < 4; i++) {
    r = CMD(pool, "SET", "back", "yes");
    CHECK_EQ_STR(r.str, "OK");
  }
  CHECK_EQ_STR(cli(&s, "GET back"), "yes");
  pool_close(pool);
  server_kill(&s, SIGTERM);
}

/* ---- cancel and close ---- */

static int cancel_target_called;
static sgw_redis_call_t *cancel_target;

static void on_cancel_other(void *data, int err, const char *text,
                            redisReply *reply) {
  int *done = data;
  (void)err, (void)text, (void)reply;
  sgw_redis_call_cancel(cancel_target); /* from inside a callback */
  cancel_target = NULL;
  (*done)++;
}

static void on_never(void *data, int err, const char *text,
                     redisReply *reply) {
  (void)data, (void)err, (void)text, (void)reply;
  cancel_target_called++;
}

static void test_cancel(const server_t *s) {
  sgw_redis_opts_t o = {.connections = 1};
  const char *get[2] = {"GET", "k1"};
  const char *sleepv[3] = {"DEBUG", "SLEEP", "0.2"};
  sgw_redis_call_t *call;
  sgw_redis_pool_t *pool;
  result_t a = {0}, b = {0};
  char url[64];
  int done = 0;

  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  test_case("cancel before the connection is up");
  pool = pool_open(url, &o);
  a.counter = &done;
  sgw_redis_call(pool, 2, get, NULL, 0, on_never, NULL, &call);
  sgw_redis_call(pool, 2, get, NULL, 0, on_result, &a, NULL);
  sgw_redis_call_cancel(call);
  CHECK_EQ_INT(sgw_redis_pool_pending(pool), 1);
  run_until(&done, 1, 3000);
  CHECK_EQ_INT(a.err, 0);
  CHECK_EQ_STR(a.str, "hello");
  CHECK_EQ_INT(cancel_target_called, 0);

  test_case("cancel on the wire: the reply is discarded");
  done = 0;
  memset(&a, 0, sizeof(a));
  a.counter = &done;
  sgw_redis_call(pool, 3, sleepv, NULL, 0, on_never, NULL, &call);
  sgw_redis_call(pool, 2, get, NULL, 0, on_result, &a, NULL);
  sgw_redis_call_cancel(call);
  CHECK_EQ_INT(sgw_redis_pool_pending(pool), 2);
  run_until(&done, 1, 3000);
  CHECK_EQ_INT(a.err, 0);
  CHECK_EQ_INT(cancel_target_called, 0);
  CHECK_EQ_INT(sgw_redis_pool_pending(pool), 0);

  test_case("cancel from another command's callback");
  done = 0;
  sgw_redis_call(pool, 2, get, NULL, 0, on_cancel_other, &done, NULL);
  sgw_redis_call(pool, 2, get, NULL, 0, on_never, NULL, &cancel_target);
  sgw_redis_call(pool, 2, get, NULL, 0, on_cancel_other, &done, NULL);
  run_until(&done, 2, 3000);
  /* the first callback cancelled the second command */
  CHECK_EQ_INT(done, 2);
  CHECK_EQ_INT(cancel_target_called, 0);

  test_case("close with commands in flight: each fails with ECANCELED");
  done = 0;
  memset(&a, 0, sizeof(a));
  a.counter = b.counter = &done;
  sgw_redis_call(pool, 3, sleepv, NULL, 0, on_result, &a, NULL);
  sgw_redis_call(pool, 2, get, NULL, 0, on_never, NULL, &call);
  sgw_redis_call(pool, 2, get, NULL, 0, on_result, &b, NULL);
  sgw_redis_call_cancel(call);
  run_until(&done, 99, 20); /* sent, not answered */
  sgw_redis_pool_close(pool);
  CHECK_EQ_INT(done, 2);
  CHECK_EQ_INT(a.err, SGW_ECANCELED);
  CHECK_EQ_INT(b.err, SGW_ECANCELED);
  CHECK_EQ_INT(cancel_target_called, 0);
  for (int i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);

  test_case("close while connecting: queued commands fail with ECANCELED");
  pool = pool_open(url, &o);
  done = 0;
  memset(&a, 0, sizeof(a));
  a.counter = &done;
  sgw_redis_call(pool, 2, get, NULL, 0, on_result, &a, NULL);
  pool_close(pool);
  CHECK_EQ_INT(a.err, SGW_ECANCELED);
  snprintf(url, sizeof(url), "redis://localhost:%d", s->port);
  pool = pool_open(url, &o);
  memset(&a, 0, sizeof(a));
  sgw_redis_call(pool, 2, get, NULL, 0, on_result, &a, NULL); /* resolving */
  pool_close(pool);
  CHECK_EQ_INT(a.err, SGW_ECANCELED);
  /* The resolver's callback still has to run to free its request. */
  run_until(&done, 99, 50);
}

static sgw_redis_pool_t *close_me;

static void on_close_pool(void *data, int err, const char *text,
                          redisReply *reply) {
  on_result(data, err, text, reply);
  sgw_redis_pool_close(close_me);
  close_me = NULL;
}

static void test_close_in_callback(const server_t *s) {
  sgw_redis_opts_t o = {.connections = 1};
  const char *get[2] = {"GET", "k1"};
  result_t r[3];
  char url[64];
  int done = 0;

  test_case("close from inside a callback: the rest fail with ECANCELED");
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  close_me = pool_open(url, &o);
  memset(r, 0, sizeof(r));
  for (int i = 0; i < 3; i++)
    r[i].counter = &done;
  sgw_redis_call(close_me, 2, get, NULL, 0, on_close_pool, &r[0], NULL);
  sgw_redis_call(close_me, 2, get, NULL, 0, on_result, &r[1], NULL);
  sgw_redis_call(close_me, 2, get, NULL, 0, on_result, &r[2], NULL);
  run_until(&done, 3, 3000);
  CHECK_EQ_INT(done, 3);
  CHECK_EQ_INT(r[0].err, 0);
  CHECK_EQ_STR(r[0].str, "hello");
  /* The replies may all be in one read: they are dropped all the same. */
  CHECK_EQ_INT(r[1].err, SGW_ECANCELED);
  CHECK_EQ_INT(r[2].err, SGW_ECANCELED);
  CHECK(close_me == NULL);
  run_until(&done, 99, 20);
}

static void test_busy(const server_t *s) {
  sgw_redis_opts_t o = {.max_pending = 5};
  const char *pingv[1] = {"PING"};
  result_t r[5];
  sgw_redis_pool_t *pool;
  char url[64];
  int done = 0;

  test_case("max_pending: the next command is refused with EBUSY");
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->port);
  pool = pool_open(url, &o);
  memset(r, 0, sizeof(r));
  for (int i = 0; i < 5; i++) {
    r[i].counter = &done;
    CHECK_EQ_INT(sgw_redis_call(pool, 1, pingv, NULL, 0, on_result, &r[i],
                                NULL), 0);
  }
  CHECK_EQ_INT(sgw_redis_call(pool, 1, pingv, NULL, 0, on_result, &r[0],
                              NULL), SGW_EBUSY);
  run_until(&done, 5, 3000);
  CHECK_EQ_INT(done, 5);
  CHECK_EQ_INT(sgw_redis_call(pool, 1, pingv, NULL, 0, on_result, &r[0],
                              NULL), 0);
  run_until(&done, 6, 3000);
  pool_close(pool);
}

static void test_refused_port(void) {
  sgw_redis_opts_t o = {.connections = 2, .backoff_min_ms = 100};
  const char *pingv[1] = {"PING"};
  sgw_redis_pool_t *pool;
  char url[64];
  result_t r;
  uint64_t t0 = now_ms();

  test_case("nothing listening: ECONN at once, then fail-fast back-off");
  snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
  pool = pool_open(url, &o);
  r = cmd(pool, 0, 1, pingv, NULL);
  CHECK_EQ_INT(r.err, SGW_ECONN);
  CHECK(strstr(r.text, "refused") != NULL);
  r = cmd(pool, 0, 1, pingv, NULL);
  CHECK_EQ_INT(r.err, SGW_ECONN);
  CHECK(now_ms() - t0 < 100);
  pool_close(pool);
}

int main(void) {
  server_t s = {.port = free_port()};

  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  uv_loop_init(&loop);
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, on_tick, 10, 10);

  test_url();
  server_start(&s);
  test_replies(&s);
  test_pipelining(&s);
  test_select(&s);
  test_cancel(&s);
  test_busy(&s);
  test_close_in_callback(&s);
  test_timeouts(&s);
  test_stall(&s);
  server_kill(&s, SIGTERM);
  test_auth();
  test_restart();
  test_refused_port();

  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
  return test_report();
}
