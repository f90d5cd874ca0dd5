/* gw.redis: an asynchronous Redis client for scripts, on the pooled,
 * pipelined client core (src/client/redis.h).
 *
 *   local redis = require "gw.redis"
 *   local r = assert(redis.connect())   -- config.redis, else $SGW_REDIS_URL
 *   -- or redis.connect("redis://host:6379/0"), or redis.connect{
 *   --   url = URL | url_env = "NAME" | url_file = PATH,
 *   --   timeout_ms = 1000, connect_timeout_ms = 1000, pool_size = 2 }
 *   local v, err, kind = r:call("GET", "k")
 *   local res, err, kind = r:pipeline{ {"INCR", "a"}, {"GET", "b"} }
 *   local v, err, kind = r:eval(script, {key, ...}, {arg, ...})
 *
 * A client is a small description (URL, timeouts) that may be made at
 * load time; the connections belong to the worker: one pool per URL (and
 * pool options) per worker, a worker service made on first use, shared
 * by every client and generation of that worker and closed when it
 * stops. Calls yield the request's coroutine and must run in a request.
 * When the request goes away, its pending commands are cancelled.
 *
 * Replies: a bulk or status reply is a string, an integer reply an
 * integer, a nil reply nil (redis.null inside an array, so arrays have no
 * holes), an array a table. A failure returns nil, message, kind:
 *   "redis"       Redis answered with an error (message is its text); in
 *                 an array or a pipeline's results an error is
 *                 {false, message}, as lua-resty-redis has it
 *   "timeout"     no reply within the timeout (the command may have run)
 *   "unavailable" no connection: refused, lost, backing off, too busy
 *   "too_large"   the reply would not fit in the script memory limit
 * Misuse (a bad argument, a command refused on a shared connection such
 * as MULTI or SUBSCRIBE) raises an error.
 *
 * eval() sends EVALSHA and, when Redis does not know the script yet
 * (NOSCRIPT), EVAL with the same arguments: one round trip normally.
 *
 * The URL may carry a password: it is read here in C (from the config,
 * the environment or a file) and never becomes a Lua value; messages
 * name host:port only. gw.env refuses SGW_REDIS_URL. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/redis.h"
#include "lua/gw_lua.h"
#include "runtime/task.h"
#include "runtime/vm.h"
#include "runtime/worker.h"
#include "signgw/crypto.h"
#include "signgw/error.h"

#define SGW__REDIS_MT "gw.redis.client"
#define SGW__REDIS_DEFAULT_ENV "SGW_REDIS_URL"
#define SGW__REDIS_MAX_URL 2048
#define SGW__REDIS_MAX_MS 600000
#define SGW__REDIS_MAX_POOL_SIZE 64
#define SGW__REDIS_MAX_POOLS 16      /* per worker */
#define SGW__REDIS_MAX_PIPELINE 4096 /* commands */
#define SGW__REDIS_MAX_ARGS 65536    /* per command */
#define SGW__REDIS_ELEM_COST 64      /* Lua bytes per array element, about */

typedef struct l_client_s {
  char *url;              /* owned; wiped when collected */
  char where[300];        /* host:port/db, for tostring */
  unsigned timeout_ms;    /* 0: the pool's */
  unsigned pool_size, connect_timeout_ms;
  sgw_worker_t *worker;   /* the pool found last, kept for the next call */
  sgw_redis_pool_t *pool;
  /* The last script eval() hashed, and its SHA-1. The script string is
   * the userdata's user value, so it stays alive and its address stays
   * its own while it is cached here. */
  const char *script;
  char sha[2 * SGW_SHA1_LEN + 1];
} l_client_t;

/* ---- the worker's pools (a service) ------------------------------------ */

typedef struct pool_entry_s {
  struct pool_entry_s *next;
  char *url;
  unsigned pool_size, connect_timeout_ms;
  sgw_redis_pool_t *pool;
} pool_entry_t;

typedef struct pools_s {
  pool_entry_t *head;
  unsigned n;
} pools_t;

static const char pools_key = 0; /* its address names the service */

static void free_url(char *url) {
  if (url != NULL) {
    OPENSSL_cleanse(url, strlen(url));
    free(url);
  }
}

static void pools_close(void *ptr) {
  pools_t *ps = ptr;

  while (ps->head != NULL) {
    pool_entry_t *e = ps->head;
    ps->head = e->next;
    sgw_redis_pool_close(e->pool);
    free_url(e->url);
    free(e);
  }
  free(ps);
}

/* The worker's pool for this client's URL and pool options, made on
 * first use. NULL with a message in err when it cannot be made. */
static sgw_redis_pool_t *client_pool(l_client_t *c, sgw_task_t *t, char *err,
                                     size_t errlen) {
  sgw_worker_t *w = t->worker;
  pools_t *ps = sgw_worker_service(w, &pools_key);
  sgw_redis_opts_t o;
  pool_entry_t *e;

  if (c->worker == w && c->pool != NULL)
    return c->pool;
  if (ps == NULL) {
    if ((ps = calloc(1, sizeof(*ps))) == NULL ||
        sgw_worker_add_service(w, &pools_key, ps, pools_close) < 0) {
      free(ps);
      snprintf(err, errlen, "gw.redis: out of memory");
      return NULL;
    }
  }
  for (e = ps->head; e != NULL; e = e->next)
    if (e->pool_size == c->pool_size &&
        e->connect_timeout_ms == c->connect_timeout_ms &&
        strcmp(e->url, c->url) == 0)
      break;
  if (e == NULL) {
    if (ps->n >= SGW__REDIS_MAX_POOLS) {
      snprintf(err, errlen, "gw.redis: more than %d Redis pools on one "
               "worker (one per URL and pool options)", SGW__REDIS_MAX_POOLS);
      return NULL;
    }
    memset(&o, 0, sizeof(o));
    o.connections = c->pool_size;
    o.connect_timeout_ms = c->connect_timeout_ms;
    o.unref = 1; /* the requests waiting on it keep the loop alive */
    if ((e = calloc(1, sizeof(*e))) == NULL ||
        (e->url = strdup(c->url)) == NULL) {
      free(e);
      snprintf(err, errlen, "gw.redis: out of memory");
      return NULL;
    }
    if (sgw_redis_pool_open(&w->loop, c->url, &o, &e->pool, err, errlen) <
        0) {
      free_url(e->url);
      free(e);
      return NULL;
    }
    e->pool_size = c->pool_size;
    e->connect_timeout_ms = c->connect_timeout_ms;
    e->next = ps->head;
    ps->head = e;
    ps->n++;
  }
  c->worker = w;
  c->pool = e->pool;
  return e->pool;
}

/* ---- replies into Lua ---------------------------------------------------- */

/* Bytes a reply takes as Lua values, about. */
static size_t reply_size(const redisReply *r) {
  size_t n = SGW__REDIS_ELEM_COST;

  if (r->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < r->elements; i++)
      n += reply_size(r->element[i]);
  else if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
           r->type == REDIS_REPLY_ERROR)
    n += r->len;
  return n;
}

/* Pushes one reply. A nil inside an array is redis.null (a NULL light
 * userdata, the same value as gw.json.null); an error inside an array is
 * {false, message}. hiredis nests arrays at most 7 deep. */
static void push_reply(lua_State *L, const redisReply *r, int nested) {
  lua_checkstack(L, 4);
  switch (r->type) {
  case REDIS_REPLY_STRING:
  case REDIS_REPLY_STATUS:
    lua_pushlstring(L, r->str, r->len);
    break;
  case REDIS_REPLY_INTEGER:
    lua_pushinteger(L, (lua_Integer)r->integer);
    break;
  case REDIS_REPLY_ARRAY:
    lua_createtable(L, r->elements > 1000000 ? 1000000 : (int)r->elements,
                    0);
    for (size_t i = 0; i < r->elements; i++) {
      push_reply(L, r->element[i], 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case REDIS_REPLY_ERROR:
    lua_createtable(L, 2, 0);
    lua_pushboolean(L, 0);
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, r->str, r->len);
    lua_rawseti(L, -2, 2);
    break;
  default: /* REDIS_REPLY_NIL */
    if (nested)
      lua_pushlightuserdata(L, NULL);
    else
      lua_pushnil(L);
  }
}

/* Whether a reply of this size fits in what the task's VM has left. The
 * cap is enforced only while a script runs, and this runs between runs:
 * so it is checked here. */
static int reply_fits(const sgw_task_t *t, const redisReply *r) {
  const sgw_vm_t *vm = t->vm;

  if (vm->mem_limit == 0)
    return 1;
  return vm->mem_used < vm->mem_limit &&
         reply_size(r) <= vm->mem_limit - vm->mem_used;
}

static const char *err_kind(int err) {
  if (err == SGW_ETIMEDOUT)
    return "timeout";
  return err == SGW_ETOOBIG ? "too_large" : "unavailable";
}

/* Pushes nil, message, kind: 3 values. */
static int push_fail(lua_State *L, const char *msg, const char *kind) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, kind);
  return 3;
}

/* ---- commands: one wait per call, pipeline or eval ----------------------- */

enum { OP_CALL, OP_PIPELINE, OP_EVAL };

typedef struct cmd_wait_s cmd_wait_t;

typedef struct cmd_slot_s {
  cmd_wait_t *w;
  sgw_redis_call_t *call; /* NULL once answered */
  unsigned index;
} cmd_slot_t;

struct cmd_wait_s {
  sgw_wait_t wait;
  sgw_redis_pool_t *pool;
  int op;
  int results;       /* OP_PIPELINE: stack index of the results table */
  unsigned timeout_ms;
  unsigned n, left;  /* commands, replies still due */
  int fail;          /* the first failure (negative), or 0 */
  char fail_text[320];
  /* OP_EVAL: the EVAL command for a NOSCRIPT answer. Its arguments point
   * into Lua strings held on the waiting coroutine's stack. */
  int eval_argc, eval_sent;
  const char **eval_argv;
  size_t *eval_lens;
  cmd_slot_t slots[];
};

static void wait_free(cmd_wait_t *w) {
  free(w->eval_argv);
  free(w->eval_lens);
  free(w);
}

static cmd_wait_t *wait_new(int op, unsigned n, sgw_redis_pool_t *pool,
                            unsigned timeout_ms) {
  cmd_wait_t *w = calloc(1, sizeof(*w) + n * sizeof(cmd_slot_t));

  if (w == NULL)
    return NULL;
  w->op = op;
  w->n = w->left = n;
  w->pool = pool;
  w->timeout_ms = timeout_ms;
  for (unsigned i = 0; i < n; i++) {
    w->slots[i].w = w;
    w->slots[i].index = i;
  }
  return w;
}

/* Cancels the commands still pending (their callbacks will not run). */
static void wait_cancel_calls(cmd_wait_t *w) {
  for (unsigned i = 0; i < w->n; i++)
    if (w->slots[i].call != NULL) {
      sgw_redis_call_cancel(w->slots[i].call);
      w->slots[i].call = NULL;
    }
}

static void cmd_cancel(sgw_wait_t *wt) {
  cmd_wait_t *w = (cmd_wait_t *)wt;

  wait_cancel_calls(w);
  wait_free(w);
}

/* Ends the wait: pushes the results on the task's coroutine, frees the
 * wait and resumes the task. */
static void wait_finish(cmd_wait_t *w, const redisReply *reply) {
  sgw_task_t *t = sgw_wait_end(&w->wait);
  lua_State *co = t->co;
  int nres;

  if (w->fail < 0) {
    nres = push_fail(co, w->fail_text, err_kind(w->fail));
  } else if (w->op == OP_PIPELINE) {
    lua_pushvalue(co, w->results);
    nres = 1;
  } else if (!reply_fits(t, reply)) {
    nres = push_fail(co, "gw.redis: the reply is larger than the script "
                     "memory left", "too_large");
  } else if (reply->type == REDIS_REPLY_ERROR) {
    lua_pushnil(co);
    lua_pushlstring(co, reply->str, reply->len);
    lua_pushliteral(co, "redis");
    nres = 3;
  } else {
    push_reply(co, reply, 0);
    nres = 1;
  }
  wait_free(w);
  sgw_task_resume(t, nres);
}

static void on_reply(void *data, int err, const char *errtext,
                     redisReply *reply) {
  cmd_slot_t *s = data;
  cmd_wait_t *w = s->w;

  s->call = NULL;
  w->left--;
  if (err < 0) {
    if (w->fail == 0) {
      w->fail = err;
      snprintf(w->fail_text, sizeof(w->fail_text), "%s", errtext);
    }
    /* One command failed: the answer is that failure, now. */
    wait_cancel_calls(w);
    wait_finish(w, NULL);
    return;
  }
  if (w->op == OP_EVAL && !w->eval_sent &&
      reply->type == REDIS_REPLY_ERROR && reply->len >= 8 &&
      memcmp(reply->str, "NOSCRIPT", 8) == 0) {
    int rc;
    w->eval_sent = 1;
    rc = sgw_redis_call(w->pool, w->eval_argc, w->eval_argv, w->eval_lens,
                        w->timeout_ms, on_reply, s, &s->call);
    if (rc == 0) {
      w->left++;
      return;
    }
    w->fail = rc == SGW_EINVAL ? SGW_ECONN : rc;
    snprintf(w->fail_text, sizeof(w->fail_text), "%s",
             sgw_redis_pool_error(w->pool));
    wait_finish(w, NULL);
    return;
  }
  if (w->op == OP_PIPELINE) {
    sgw_task_t *t = w->wait.task;
    lua_State *co = t->co;
    if (!reply_fits(t, reply)) {
      w->fail = SGW_ETOOBIG;
      snprintf(w->fail_text, sizeof(w->fail_text), "gw.redis: the replies "
               "are larger than the script memory left");
      wait_cancel_calls(w);
      wait_finish(w, NULL);
      return;
    }
    push_reply(co, reply, 1);
    lua_rawseti(co, w->results, (lua_Integer)s->index + 1);
    if (w->left > 0)
      return;
  }
  wait_finish(w, reply);
}

/* ---- arguments ----------------------------------------------------------- */

static l_client_t *check_client(lua_State *L) {
  return luaL_checkudata(L, 1, SGW__REDIS_MT);
}

/* The argument at idx as bytes: a string, or a number converted in place
 * (integers as digits). Raises on anything else. */
static const char *arg_bytes(lua_State *L, int idx, size_t *len,
                             const char *what) {
  int type = lua_type(L, idx);

  if (type != LUA_TSTRING && type != LUA_TNUMBER)
    luaL_error(L, "gw.redis: %s must be a string or a number, not %s", what,
               luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

/* Sends one command of argc arguments; returns 0, or raises for misuse,
 * or returns a negative code with the reason in the pool's error. */
static int send_one(lua_State *L, cmd_wait_t *w, unsigned i, int argc,
                    const char **argv, const size_t *lens) {
  int rc = sgw_redis_call(w->pool, argc, argv, lens, w->timeout_ms, on_reply,
                          &w->slots[i], &w->slots[i].call);

  if (rc == SGW_EINVAL) {
    const char *why = sgw_redis_pool_error(w->pool);
    wait_cancel_calls(w);
    wait_free(w);
    luaL_error(L, "%s", why);
  }
  return rc;
}

/* After a failed send: cancels what was sent, frees the wait and returns
 * nil, message, kind. */
static int send_failed(lua_State *L, cmd_wait_t *w, int rc) {
  char msg[320];

  snprintf(msg, sizeof(msg), "%s", sgw_redis_pool_error(w->pool));
  wait_cancel_calls(w);
  wait_free(w);
  return push_fail(L, msg, err_kind(rc));
}

/* The task, the client and its pool for a call; returns NULL after
 * pushing nil, message, "unavailable" (the pool cannot be made). */
static sgw_redis_pool_t *call_setup(lua_State *L, l_client_t *c,
                                    sgw_task_t **t) {
  char err[300];
  sgw_redis_pool_t *pool;

  *t = sgw_task_check_wait(L, "gw.redis");
  err[0] = '\0';
  if ((pool = client_pool(c, *t, err, sizeof(err))) == NULL)
    push_fail(L, err, "unavailable");
  return pool;
}

/* r:call(command, arg, ...) -> reply | nil, message, kind */
static int l_call(lua_State *L) {
  l_client_t *c = check_client(L);
  int argc = lua_gettop(L) - 1, rc;
  const char *argv_small[16], **argv = argv_small;
  size_t lens_small[16], *lens = lens_small;
  sgw_redis_pool_t *pool;
  sgw_task_t *t;
  cmd_wait_t *w;

  luaL_argcheck(L, argc >= 1, 2, "a command is required");
  luaL_argcheck(L, argc <= SGW__REDIS_MAX_ARGS, 2, "too many arguments");
  for (int i = 0; i < argc; i++)
    arg_bytes(L, i + 2, &lens_small[0], "every argument");
  if ((pool = call_setup(L, c, &t)) == NULL)
    return 3;
  if ((w = wait_new(OP_CALL, 1, pool, c->timeout_ms)) == NULL)
    return luaL_error(L, "gw.redis: out of memory");
  if (argc > 16 && ((argv = malloc(argc * sizeof(*argv))) == NULL ||
                    (lens = malloc(argc * sizeof(*lens))) == NULL)) {
    if (argv != argv_small)
      free(argv);
    wait_free(w);
    return luaL_error(L, "gw.redis: out of memory");
  }
  for (int i = 0; i < argc; i++)
    argv[i] = lua_tolstring(L, i + 2, &lens[i]);
  rc = sgw_redis_call(pool, argc, argv, lens, w->timeout_ms, on_reply,
                      &w->slots[0], &w->slots[0].call);
  if (argv != argv_small) {
    free(argv);
    free(lens);
  }
  if (rc == SGW_EINVAL) {
    char why[320];
    snprintf(why, sizeof(why), "%s", sgw_redis_pool_error(pool));
    wait_free(w);
    return luaL_error(L, "%s", why);
  }
  if (rc < 0)
    return send_failed(L, w, rc);
  return sgw_task_yield(L, &w->wait, cmd_cancel);
}

/* Checks one pipeline entry (the table on top): 1 to MAX_ARGS strings or
 * numbers. Returns its length. */
static int check_command(lua_State *L, lua_Integer i) {
  lua_Integer n;

  if (!lua_istable(L, -1))
    luaL_error(L, "gw.redis: pipeline entry %d must be a table like "
               "{\"GET\", key}", (int)i);
  n = (lua_Integer)lua_rawlen(L, -1);
  if (n < 1 || n > SGW__REDIS_MAX_ARGS)
    luaL_error(L, "gw.redis: pipeline entry %d must hold 1 to %d arguments",
               (int)i, SGW__REDIS_MAX_ARGS);
  for (lua_Integer j = 1; j <= n; j++) {
    int type = lua_rawgeti(L, -1, j);
    if (type != LUA_TSTRING && type != LUA_TNUMBER)
      luaL_error(L, "gw.redis: pipeline entry %d, argument %d must be a "
                 "string or a number, not %s", (int)i, (int)j,
                 lua_typename(L, type));
    lua_pop(L, 1);
  }
  return (int)n;
}

/* r:pipeline{ {cmd, ...}, ... } -> { reply, ..., n = count } | nil,
 * message, kind. Every command goes out at once, on one connection, so
 * they run in the order of the list (not atomically: use eval for that). */
static int l_pipeline(lua_State *L) {
  l_client_t *c = check_client(L);
  lua_Integer n;
  int maxargc = 0, rc;
  const char **argv = NULL;
  size_t *lens = NULL;
  sgw_redis_pool_t *pool;
  sgw_task_t *t;
  cmd_wait_t *w;

  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  n = (lua_Integer)lua_rawlen(L, 2);
  luaL_argcheck(L, n >= 1 && n <= SGW__REDIS_MAX_PIPELINE, 2,
                "must list 1 to 4096 commands");
  /* Everything is checked before anything is sent. */
  for (lua_Integer i = 1; i <= n; i++) {
    int argc;
    lua_rawgeti(L, 2, i);
    argc = check_command(L, i);
    if (argc > maxargc)
      maxargc = argc;
    lua_pop(L, 1);
  }
  if ((pool = call_setup(L, c, &t)) == NULL)
    return 3;
  if ((w = wait_new(OP_PIPELINE, (unsigned)n, pool, c->timeout_ms)) ==
          NULL ||
      (argv = malloc(maxargc * sizeof(*argv))) == NULL ||
      (lens = malloc(maxargc * sizeof(*lens))) == NULL) {
    free(argv);
    if (w != NULL)
      wait_free(w);
    return luaL_error(L, "gw.redis: out of memory");
  }
  /* The results table stays on this frame while the task waits. */
  lua_createtable(L, (int)n, 1);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  w->results = lua_gettop(L);
  if (!lua_checkstack(L, maxargc + 2)) {
    free(argv);
    free(lens);
    wait_free(w);
    return luaL_error(L, "gw.redis: out of memory");
  }
  rc = 0;
  sgw_redis_batch_begin(pool); /* one connection: the list's order */
  for (lua_Integer i = 1; i <= n && rc == 0; i++) {
    int argc, base;
    lua_rawgeti(L, 2, i);
    argc = (int)lua_rawlen(L, -1);
    base = lua_gettop(L);
    for (int j = 0; j < argc; j++) {
      lua_rawgeti(L, base, j + 1);
      argv[j] = lua_tolstring(L, -1, &lens[j]);
    }
    rc = sgw_redis_call(pool, argc, argv, lens, w->timeout_ms, on_reply,
                        &w->slots[i - 1], &w->slots[i - 1].call);
    lua_settop(L, base - 1);
  }
  sgw_redis_batch_end(pool);
  free(argv);
  free(lens);
  if (rc == SGW_EINVAL) {
    char why[320];
    snprintf(why, sizeof(why), "%s", sgw_redis_pool_error(pool));
    wait_cancel_calls(w);
    wait_free(w);
    return luaL_error(L, "%s", why);
  }
  if (rc < 0)
    return send_failed(L, w, rc);
  return sgw_task_yield(L, &w->wait, cmd_cancel);
}

/* Pushes the strings of the optional list at idx (nil: none) onto the
 * stack; returns how many. */
static int push_list(lua_State *L, int idx, const char *what) {
  lua_Integer n;

  if (lua_isnoneornil(L, idx))
    return 0;
  if (!lua_istable(L, idx))
    luaL_error(L, "gw.redis: eval %s must be a list", what);
  n = (lua_Integer)lua_rawlen(L, idx);
  if (n > SGW__REDIS_MAX_ARGS / 2)
    luaL_error(L, "gw.redis: eval: too many %s", what);
  luaL_checkstack(L, (int)n + 4, "gw.redis: too many arguments");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    arg_bytes(L, -1, NULL, what);
  }
  return (int)n;
}

/* r:eval(script, keys, args) -> reply | nil, message, kind
 * EVALSHA first; EVAL when the server answers NOSCRIPT. */
static int l_eval(lua_State *L) {
  l_client_t *c = check_client(L);
  size_t slen;
  const char *script = luaL_checklstring(L, 2, &slen);
  unsigned char digest[SGW_SHA1_LEN];
  char nkeys[16];
  int nk, na, argc, first, rc;
  const char **argv;
  size_t *lens;
  sgw_redis_pool_t *pool;
  sgw_task_t *t;
  cmd_wait_t *w;

  lua_settop(L, 4);
  first = lua_gettop(L) + 1;
  nk = push_list(L, 3, "keys");
  na = push_list(L, 4, "args");
  argc = 3 + nk + na;
  if ((pool = call_setup(L, c, &t)) == NULL)
    return 3;
  if (script != c->script) { /* a policy passes the same string each time */
    if (sgw_sha1(script, slen, digest) < 0)
      return luaL_error(L, "gw.redis: cannot hash the script");
    sgw_hex_encode(digest, sizeof(digest), c->sha);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, 1);
    c->script = script;
  }
  snprintf(nkeys, sizeof(nkeys), "%d", nk);
  if ((w = wait_new(OP_EVAL, 1, pool, c->timeout_ms)) == NULL)
    return luaL_error(L, "gw.redis: out of memory");
  w->eval_argv = argv = malloc(argc * sizeof(*argv));
  w->eval_lens = lens = malloc(argc * sizeof(*lens));
  w->eval_argc = argc;
  if (argv == NULL || lens == NULL) {
    wait_free(w);
    return luaL_error(L, "gw.redis: out of memory");
  }
  for (int i = 0; i < nk + na; i++)
    argv[3 + i] = lua_tolstring(L, first + i, &lens[3 + i]);
  /* EVALSHA now, from C strings; the EVAL kept for later points into
   * the script and the arguments, which stay on this frame. */
  argv[0] = "EVALSHA";
  lens[0] = 7;
  argv[1] = c->sha;
  lens[1] = strlen(c->sha);
  argv[2] = nkeys;
  lens[2] = strlen(nkeys);
  rc = send_one(L, w, 0, argc, argv, lens);
  argv[0] = "EVAL";
  lens[0] = 4;
  argv[1] = script;
  lens[1] = slen;
  lua_pushstring(L, nkeys);
  argv[2] = lua_tolstring(L, -1, &lens[2]);
  if (rc < 0)
    return send_failed(L, w, rc);
  return sgw_task_yield(L, &w->wait, cmd_cancel);
}

/* ---- connect -------------------------------------------------------------- */

/* Reads a file holding a URL (a final newline is dropped) into a new
 * string; NULL with a message naming the file, never its contents. */
static char *read_url_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n;

  if (f == NULL) {
    snprintf(err, errlen, "gw.redis: cannot read %s: %s", path,
             strerror(errno));
    return NULL;
  }
  if ((buf = malloc(SGW__REDIS_MAX_URL + 2)) == NULL) {
    fclose(f);
    snprintf(err, errlen, "gw.redis: out of memory");
    return NULL;
  }
  n = fread(buf, 1, SGW__REDIS_MAX_URL + 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  buf[n] = '\0';
  if (n == 0 || n > SGW__REDIS_MAX_URL) {
    OPENSSL_cleanse(buf, n);
    free(buf);
    snprintf(err, errlen, "gw.redis: %s must hold one redis:// URL", path);
    return NULL;
  }
  return buf;
}

static unsigned opt_ms(lua_State *L, int t, const char *name,
                       unsigned max) {
  lua_Integer v = 0;
  int isint = 1;

  if (lua_getfield(L, t, name) != LUA_TNIL)
    v = lua_tointegerx(L, -1, &isint);
  lua_pop(L, 1);
  if (!isint || v < 0 || v > (lua_Integer)max)
    luaL_error(L, "gw.redis.connect: %s must be an integer from 0 (the "
               "default) to %d",
               name, (int)max);
  return (unsigned)v;
}

static const char *opt_str(lua_State *L, int t, const char *name) {
  const char *s = NULL;

  if (lua_getfield(L, t, name) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "gw.redis.connect: %s must be a string", name);
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* still held by the table */
  return s;
}

static const char *const connect_fields[] = {
    "url", "url_env", "url_file", "timeout_ms", "connect_timeout_ms",
    "pool_size", NULL};

/* Pushes config.redis when it is a table, else nil. */
static void push_config_redis(lua_State *L) {
  int top = lua_gettop(L);

  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "gw") == LUA_TTABLE &&
      lua_getfield(L, -1, "config") == LUA_TTABLE &&
      lua_getfield(L, -1, "redis") == LUA_TTABLE) {
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return;
  }
  lua_settop(L, top);
  lua_pushnil(L);
}

/* redis.connect([url | options]) -> client | nil, message */
static int l_connect(lua_State *L) {
  const char *url = NULL, *url_env = NULL, *url_file = NULL;
  char err[300], msg[240];
  sgw_redis_url_t parsed;
  l_client_t *c;
  unsigned timeout = 0, pool_size = 0, conn_timeout = 0;
  int spec;

  lua_settop(L, 1);
  if (lua_isnil(L, 1)) {
    lua_pop(L, 1);
    push_config_redis(L);
  } else if (lua_type(L, 1) == LUA_TTABLE) {
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
      int ok = 0;
      if (lua_type(L, -2) == LUA_TSTRING)
        for (int i = 0; connect_fields[i] != NULL && !ok; i++)
          ok = strcmp(lua_tostring(L, -2), connect_fields[i]) == 0;
      if (!ok) {
        lua_pushvalue(L, -2);
        return luaL_error(L, "gw.redis.connect: unknown option '%s'",
                          luaL_tolstring(L, -1, NULL));
      }
    }
  } else if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_typeerror(L, 1, "URL string, options table or nil");
  }
  spec = 1;
  if (lua_type(L, spec) == LUA_TSTRING) {
    url = lua_tostring(L, spec);
  } else if (lua_type(L, spec) == LUA_TTABLE) {
    url = opt_str(L, spec, "url");
    url_env = opt_str(L, spec, "url_env");
    url_file = opt_str(L, spec, "url_file");
    if ((url != NULL) + (url_env != NULL) + (url_file != NULL) > 1)
      return luaL_error(L, "gw.redis.connect: give one of url, url_env and "
                           "url_file");
    timeout = opt_ms(L, spec, "timeout_ms", SGW__REDIS_MAX_MS);
    conn_timeout = opt_ms(L, spec, "connect_timeout_ms", SGW__REDIS_MAX_MS);
    pool_size = opt_ms(L, spec, "pool_size", SGW__REDIS_MAX_POOL_SIZE);
  }
  /* The client exists first: whatever it comes to own is freed by its
   * __gc, even if a Lua error interrupts. */
  c = lua_newuserdatauv(L, sizeof(*c), 1);
  memset(c, 0, sizeof(*c));
  luaL_setmetatable(L, SGW__REDIS_MT);
  c->timeout_ms = timeout;
  c->pool_size = pool_size;
  c->connect_timeout_ms = conn_timeout;
  err[0] = '\0';
  if (url_file != NULL) {
    if ((c->url = read_url_file(url_file, err, sizeof(err))) == NULL)
      goto fail;
  } else {
    if (url == NULL) {
      if (url_env == NULL)
        url_env = SGW__REDIS_DEFAULT_ENV;
      url = getenv(url_env);
      if (url == NULL || url[0] == '\0') {
        snprintf(err, sizeof(err), "gw.redis: no Redis URL: %s is not set",
                 url_env);
        goto fail;
      }
    }
    if (strlen(url) > SGW__REDIS_MAX_URL) {
      snprintf(err, sizeof(err), "gw.redis: the Redis URL is too long");
      goto fail;
    }
    if ((c->url = strdup(url)) == NULL)
      return luaL_error(L, "gw.redis: out of memory");
  }
  if (sgw_redis_url_parse(c->url, &parsed, msg, sizeof(msg)) < 0) {
    snprintf(err, sizeof(err), "gw.redis: %s", msg);
    goto fail;
  }
  snprintf(c->where, sizeof(c->where),
           strchr(parsed.host, ':') ? "[%s]:%d/%d" : "%s:%d/%d", parsed.host,
           parsed.port, parsed.db);
  OPENSSL_cleanse(&parsed, sizeof(parsed));
  return 1;

fail:
  OPENSSL_cleanse(&parsed, sizeof(parsed));
  lua_pushnil(L);
  lua_pushstring(L, err);
  return 2;
}

static int l_gc(lua_State *L) {
  l_client_t *c = luaL_checkudata(L, 1, SGW__REDIS_MT);

  free_url(c->url);
  c->url = NULL;
  c->pool = NULL;
  return 0;
}

/* Names the server, never the password. */
static int l_tostring(lua_State *L) {
  l_client_t *c = luaL_checkudata(L, 1, SGW__REDIS_MT);

  lua_pushfstring(L, "gw.redis.client(%s)", c->where);
  return 1;
}

/* r:address() -> "host:port/db" */
static int l_address(lua_State *L) {
  lua_pushstring(L, check_client(L)->where);
  return 1;
}

int luaopen_gw_redis(lua_State *L) {
  static const luaL_Reg funcs[] = {{"connect", l_connect}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"call", l_call},
                                     {"pipeline", l_pipeline},
                                     {"eval", l_eval},
                                     {"address", l_address},
                                     {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__REDIS_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, SGW__REDIS_MT);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  return 1;
}
