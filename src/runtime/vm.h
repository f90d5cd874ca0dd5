/* A Lua VM built from the config file and the route scripts: one per
 * worker and generation.
 *
 * Building one runs the config chunk, applies the script sandbox, loads
 * every route module and checks it returns a function, so a broken script
 * fails here (with file:line) and never at request time. All of it runs
 * inside a protected call: whatever the config returns (tables with
 * metamethods that raise, say), a bad one is refused with a message and
 * never aborts the process.
 *
 * ctx, the handler's second argument, is per request: a table of the
 * request's own whose __index is the part every request of the VM shares
 * (config, cred, worker_id). That part cannot be replaced through ctx.
 * Each pooled coroutine keeps one ctx table, emptied when its next
 * request starts, so a request does not allocate one. */
#ifndef SGW_VM_H
#define SGW_VM_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/cred.h"
#include "runtime/settings.h"

struct lua_State;

typedef struct sgw_route_s {
  char *method;   /* "GET" */
  char *path;     /* "/put-sign" */
  size_t path_len;
  int handler;    /* registry ref of the handler function */
  int body;       /* the handler reads req.body: the server keeps it */
  const struct sgw_obs_route_s *obs; /* its name for metrics and the access
                                        log (observe.c's, on first use) */
} sgw_route_t;

/* A route is "module", { module = "module", body = true }, or
 * { file = "path" [, type = "Content-Type"] }: a static file (at most
 * SGW_VM_MAX_FILE bytes, the path relative to the config's folder) read
 * when the generation is built and answered without running a script. */
#define SGW_VM_MAX_FILE (1024 * 1024)

struct sgw_status_s;
struct sgw_sources_s;

typedef struct sgw_vm_opts_s {
  /* The generation's sources: the config text must be read (its resolved
   * path names the config in messages and gives its folder); the modules
   * are read by the first VM built (from the folders its config names)
   * and shared by the others. */
  struct sgw_sources_s *sources;
  sgw_cred_t *cred;       /* the VM takes its own reference */
  const struct sgw_status_s *status; /* for gw.status(); may be NULL */
  int worker_id;
  unsigned generation;
  /* The dev bucket, while one runs: "host:port" and its bucket name
   * (gw.dev), and the config's dev.routes are served too. NULL: none. */
  const char *dev_host;
  const char *dev_bucket;
} sgw_vm_opts_t;

typedef struct sgw_vm_s {
  struct lua_State *L;
  sgw_route_t *routes;
  size_t nroutes;
  int ctx_mt_ref;         /* registry ref of the ctx metatable's model */
  int error_handler;      /* registry ref of config.errors, or LUA_NOREF */
  sgw_cred_t *cred;       /* this generation's credentials (a reference) */
  sgw_settings_t settings;
  char **dirs;            /* script folders, resolved (for the watcher) */
  size_t ndirs;
  unsigned generation;
  int worker_id;
  unsigned inflight;      /* requests still running on this VM */
  struct lua_State **idle; /* finished coroutines kept for reuse */
  int *idle_refs;
  size_t nidle;
  struct sgw_vm_s *next_retired; /* a worker's list of VMs winding down */
  size_t mem_used, mem_limit;    /* bytes; the limit 0 is "none" */
  uint64_t deadline;             /* uv_hrtime() limit for the running script */
  struct lua_State *budget_co;   /* the request coroutine running now */
  int overrun;                   /* it was stopped by the deadline */
} sgw_vm_t;

/* Builds a VM. On failure returns a negative code and writes a message
 * (with file:line where the error has one) into `err`. */
int sgw_vm_open(const sgw_vm_opts_t *opts, sgw_vm_t **out, char *err,
                size_t errlen);
void sgw_vm_close(sgw_vm_t *vm);

/* A coroutine for one request, reused from earlier requests when one is
 * free; *ref anchors it, and its ctx table, in the registry. */
struct lua_State *sgw_vm_thread(sgw_vm_t *vm, int *ref);
/* Pushes onto `co` the ctx of the request it runs (`co` and `ref` from
 * sgw_vm_thread): the coroutine's own table, emptied of what its last
 * request left. */
void sgw_vm_push_ctx(sgw_vm_t *vm, struct lua_State *co, int ref);
/* Gives a coroutine back. Only one that finished normally (reusable) is
 * kept; an errored or abandoned one is left to the collector. */
void sgw_vm_thread_done(sgw_vm_t *vm, struct lua_State *co, int ref,
                        int reusable);

/* Finds the route for method+path; HEAD takes the GET route when it has
 * none of its own. When none matches but the path exists for another
 * method, *allow receives "GET, HEAD, POST" style text (caller's buffer
 * of allow_size bytes); otherwise allow[0] is '\0'. */
const sgw_route_t *sgw_vm_route(const sgw_vm_t *vm, const char *method,
                                const char *path, size_t path_len,
                                char *allow, size_t allow_size);

#endif
