/* Building a generation's Lua VM: config, sandbox, routes. */
#include "runtime/vm.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/budget.h"
#include "runtime/sources.h"
#include "signgw/error.h"

#define SGW__IDLE_THREADS 64 /* coroutines kept per VM for reuse */
#define SGW__LOAD_BUDGET_NS (5ULL * 1000 * 1000 * 1000) /* config + modules */

static const luaL_Reg gw_modules[] = {
    {"gw", luaopen_gw},           {"gw.crypto", luaopen_gw_crypto},
    {"gw.tc3", luaopen_gw_tc3},
    {"gw.cos", luaopen_gw_cos},   {"gw.time", luaopen_gw_time},
    {"gw.json", luaopen_gw_json}, {"gw.url", luaopen_gw_url},
    {"gw.shared", luaopen_gw_shared},
    {"gw.jwt", luaopen_gw_jwt},
    {"gw.http", luaopen_gw_http},
    {"gw.event", luaopen_gw_event},
    {"gw.s3", luaopen_gw_s3},
    {"gw.sts", luaopen_gw_sts},
    {"gw.redis", luaopen_gw_redis},
    {"gw.ip", luaopen_gw_ip},
    {"gw.metrics", luaopen_gw_metrics},
    {"gw.log", luaopen_gw_log},   {NULL, NULL}};

/* An error outside any protected call: nothing sane is left to do.
 * Building a VM runs entirely inside one (vm_build_protected), so a
 * config cannot get here; this is for bugs in the runtime itself. */
static int vm_panic(lua_State *L) {
  sgw_log_error("Lua panic: %s", lua_tostring(L, -1));
  abort();
}

/* warn() from scripts goes to the log ("@on"/"@off" control messages are
 * accepted and ignored). */
static void vm_warn(void *ud, const char *msg, int tocont) {
  (void)ud;
  (void)tocont;
  if (msg[0] != '@')
    sgw_log_warn("script warning: %s", msg);
}

static int vm_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vm_fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return SGW_EINVAL;
}

/* Puts the gw modules into package.preload and `gw` into the globals. */
static void vm_preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *m = gw_modules; m->name != NULL; m++) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1);
  luaL_requiref(L, "gw", luaopen_gw, 1);
  lua_pop(L, 1);
  luaopen_gw_request(L);
  lua_pop(L, 1);
}

/* Runs the config text with its directory as `...`; leaves the table. */
static int vm_run_config(lua_State *L, const char *path,
                         const sgw_sources_t *src, char *err, size_t errlen) {
  const char *slash = strrchr(path, '/');

  lua_pushfstring(L, "@%s", path);
  if (luaL_loadbufferx(L, src->config, src->config_len, lua_tostring(L, -1),
                       "t") != LUA_OK)
    return vm_fail(err, errlen, "%s", lua_tostring(L, -1));
  if (slash == NULL)
    lua_pushliteral(L, ".");
  else
    lua_pushlstring(L, path, slash == path ? 1 : (size_t)(slash - path));
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    return vm_fail(err, errlen, "%s", luaL_tolstring(L, -1, NULL));
  if (!lua_istable(L, -1))
    return vm_fail(err, errlen, "%s: config must return a table, got %s",
                   path, luaL_typename(L, -1));
  return 0;
}

/* Remembers one resolved script folder for the watcher. */
static int vm_add_dir(sgw_vm_t *vm, const char *base, size_t blen,
                      const char *dir) {
  char **v = realloc(vm->dirs, (vm->ndirs + 1) * sizeof(*v));
  char *p;

  if (v == NULL)
    return SGW_ENOMEM;
  vm->dirs = v;
  if (dir[0] == '/' || blen == 0)
    p = strdup(dir);
  else if (strcmp(dir, ".") == 0)
    p = strndup(base, blen);
  else if ((p = malloc(blen + strlen(dir) + 2)) != NULL)
    sprintf(p, "%.*s/%s", (int)blen, base, dir);
  if (p == NULL)
    return SGW_ENOMEM;
  vm->dirs[vm->ndirs++] = p;
  return 0;
}

/* The script folders from config.paths, relative ones taken from the
 * config file's folder. */
static int vm_set_paths(sgw_vm_t *vm, int cfg, const char *config_path,
                        char *err, size_t errlen) {
  lua_State *L = vm->L;
  const char *slash = strrchr(config_path, '/');
  size_t dlen = slash ? (size_t)(slash - config_path) : 0;
  int n, rc = 0;

  if (sgw_settings_field(L, cfg, "paths") == LUA_TNIL) {
    lua_pop(L, 1);
    return vm_add_dir(vm, config_path, dlen, ".");
  }
  if (!lua_istable(L, -1))
    return vm_fail(err, errlen, "config: paths must be a list of folders");
  n = (int)luaL_len(L, -1);
  if (n < 1 || n > 64)
    return vm_fail(err, errlen, "config: paths must list 1 to 64 folders");
  for (int i = 1; rc == 0 && i <= n; i++) {
    if (lua_geti(L, -1, i) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
      return vm_fail(err, errlen, "config: paths[%d] must be a folder name",
                     i);
    rc = vm_add_dir(vm, config_path, dlen, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return rc;
}

/* load() for scripts: text chunks only (bytecode can crash the VM). */
static int vm_safe_load(lua_State *L) {
  lua_settop(L, 4);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 4, LUA_MULTRET);
  return lua_gettop(L);
}

static int vm_safe_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "count");

  if (strcmp(opt, "count") != 0)
    return luaL_error(L, "collectgarbage('%s') is not allowed", opt);
  lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
                        (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024.0);
  return 1;
}

static void vm_keep_fields(lua_State *L, const char *lib,
                           const char *const keep[]) {
  lua_getglobal(L, lib);
  lua_newtable(L);
  for (int i = 0; keep[i] != NULL; i++) {
    lua_getfield(L, -2, keep[i]);
    lua_setfield(L, -2, keep[i]);
  }
  lua_setglobal(L, lib);
  lua_pop(L, 1);
}

/* What route scripts may touch: no process control, no files, no C
 * modules, no debug library. The config chunk ran before this. */
static void vm_sandbox(lua_State *L, const sgw_sources_t *src) {
  static const char *const os_keep[] = {"time", "clock", "date", "difftime",
                                        NULL};
  static const char *const nil_globals[] = {"dofile", "loadfile", "io",
                                            "debug", NULL};

  for (int i = 0; nil_globals[i] != NULL; i++) {
    lua_pushnil(L);
    lua_setglobal(L, nil_globals[i]);
  }
  vm_keep_fields(L, "os", os_keep);
  lua_getglobal(L, "load");
  lua_pushcclosure(L, vm_safe_load, 1);
  lua_setglobal(L, "load");
  lua_pushcfunction(L, vm_safe_collectgarbage);
  lua_setglobal(L, "collectgarbage");
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);

  lua_getglobal(L, "package");
  lua_pushnil(L);
  lua_setfield(L, -2, "loadlib");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  sgw_sources_install(L, src); /* require() reads the snapshot only */
  for (const char *const *lib = (const char *const[]){"io", "debug", NULL};
       *lib; lib++) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushnil(L);
    lua_setfield(L, -2, *lib);
    lua_pop(L, 1);
  }
}

/* Splits "GET /path" into its parts. */
static int vm_parse_route_key(const char *key, char **method, char **path) {
  const char *sp = strchr(key, ' ');
  size_t mlen;

  if (sp == NULL || sp == key || sp[1] != '/')
    return SGW_EINVAL;
  mlen = (size_t)(sp - key);
  for (size_t i = 0; i < mlen; i++)
    if (key[i] < 'A' || key[i] > 'Z')
      return SGW_EINVAL;
  for (const char *p = sp + 1; *p; p++)
    if (*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f)
      return SGW_EINVAL;
  *method = strndup(key, mlen);
  *path = strdup(sp + 1);
  return *method && *path ? 0 : SGW_ENOMEM;
}

/* require()s one route module; leaves the handler function. */
static int vm_require_route(lua_State *L, const char *key, const char *mod,
                            char *err, size_t errlen) {
  const char *msg;

  lua_getglobal(L, "require");
  lua_pushstring(L, mod);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    msg = luaL_tolstring(L, -1, NULL);
    /* A setting refused by the scripts' own checks (policy/check.lua):
     * the config is what to fix, so the message names it. */
    if (strncmp(msg, "config: ", 8) == 0)
      return vm_fail(err, errlen, "%s", msg);
    return vm_fail(err, errlen, "route '%s': %s", key, msg);
  }
  if (!lua_isfunction(L, -1))
    return vm_fail(err, errlen, "route '%s': module '%s' must return a "
                   "handler function", key, mod);
  return 0;
}

/* A static file route's handler: upvalues are the file's text and the
 * header table it is answered with. */
static int vm_file_handler(lua_State *L) {
  lua_pushinteger(L, 200);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  return 3;
}

static const char *vm_file_type(const char *path) {
  static const char *const types[][2] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {NULL, NULL}};
  size_t n = strlen(path);

  for (int i = 0; types[i][0] != NULL; i++) {
    size_t e = strlen(types[i][0]);
    if (n > e && strcmp(path + n - e, types[i][0]) == 0)
      return types[i][1];
  }
  return "application/octet-stream";
}

/* { file = "path" [, type = "..."] } (the table on top): reads the file
 * (relative to the config's folder) and pushes its handler function. */
static int vm_file_route(lua_State *L, const char *key, const char *config,
                         char *err, size_t errlen) {
  int t = lua_gettop(L);
  const char *slash = strrchr(config, '/'), *file;
  char msg[SGW_ERR_MAX];
  luaL_Buffer b;
  char *text;
  size_t len;

  if (lua_getfield(L, t, "file") != LUA_TSTRING || lua_rawlen(L, -1) == 0)
    return vm_fail(err, errlen, "config: route '%s': file must be a path",
                   key);
  file = lua_tostring(L, -1);
  luaL_buffinit(L, &b);
  if (file[0] != '/' && slash != NULL) {
    luaL_addlstring(&b, config, (size_t)(slash - config) + 1);
  }
  luaL_addstring(&b, file);
  luaL_pushresult(&b);
  if (sgw_file_read(lua_tostring(L, -1), SGW_VM_MAX_FILE, &text, &len, msg,
                    sizeof(msg)) < 0)
    return vm_fail(err, errlen, "config: route '%s': %s", key, msg);
  lua_pushlstring(L, text, len); /* upvalue 1: the text */
  free(text);
  lua_createtable(L, 0, 3);      /* upvalue 2: the headers */
  if (lua_getfield(L, t, "type") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushstring(L, vm_file_type(file));
  }
  lua_setfield(L, -2, "Content-Type");
  lua_pushliteral(L, "no-cache");
  lua_setfield(L, -2, "Cache-Control");
  lua_pushliteral(L, "nosniff");
  lua_setfield(L, -2, "X-Content-Type-Options");
  lua_pushcclosure(L, vm_file_handler, 2);
  lua_replace(L, t + 1);
  lua_settop(L, t + 1);
  return 0;
}

/* A route's value: "module", { module = "module", body = true } for a
 * handler that reads req.body (only those routes buffer bodies), or a
 * static file. Leaves the module name on the stack, or the handler
 * itself (a function). */
static int vm_route_value(lua_State *L, const char *key, sgw_route_t *r,
                          const char *config, char *err, size_t errlen) {
  if (lua_type(L, -1) == LUA_TSTRING) {
    lua_pushvalue(L, -1);
    return 0;
  }
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_pushliteral(L, "file");
    if (lua_rawget(L, -2) != LUA_TNIL) {
      lua_pop(L, 1);
      return vm_file_route(L, key, config, err, errlen);
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "body");
    lua_rawget(L, -2);
    r->body = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_pushliteral(L, "module");
    if (lua_rawget(L, -2) == LUA_TSTRING)
      return 0;
    lua_pop(L, 1);
  }
  return vm_fail(err, errlen, "config: route '%s' must name a module, or be "
                 "{ module = \"name\", body = true } or { file = \"path\" "
                 "}", key);
}

/* config.errors: the module whose function answers the errors the server
 * and router make (status, code, message, req, headers). Optional. */
static int vm_load_error_handler(sgw_vm_t *vm, int cfg, char *err,
                                 size_t errlen) {
  lua_State *L = vm->L;
  int rc;

  lua_pushliteral(L, "errors");
  if (lua_rawget(L, cfg) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_type(L, -1) != LUA_TSTRING)
    return vm_fail(err, errlen, "config: errors must name a module");
  if ((rc = vm_require_route(L, "errors", lua_tostring(L, -1), err,
                             errlen)) < 0)
    return rc;
  vm->error_handler = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
  return 0;
}

/* The outbound settings are checked when gw.http loads: load it now, so a
 * bad value fails the generation (and -t) even if no route uses it yet. */
static int vm_check_outbound(lua_State *L, char *err, size_t errlen) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "gw.http");
  if (lua_pcall(L, 1, 0, 0) != LUA_OK)
    return vm_fail(err, errlen, "%s", lua_tostring(L, -1));
  return 0;
}

static size_t vm_count(lua_State *L) {
  size_t n = 0;

  for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1))
    n++;
  return n;
}

/* Adds every route of the table on top ("routes", or "dev.routes"). A
 * path that already has a route for the method is refused. */
static int vm_add_routes(sgw_vm_t *vm, const char *table, const char *config,
                         char *err, size_t errlen) {
  lua_State *L = vm->L;
  int rc, file;

  for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
    sgw_route_t *r = &vm->routes[vm->nroutes];
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                     : NULL;
    if (key == NULL || vm_parse_route_key(key, &r->method, &r->path) < 0)
      return vm_fail(err, errlen, "config: %s key '%s' must look like "
                     "\"GET /path\"", table, key ? key : "?");
    r->path_len = strlen(r->path);
    vm->nroutes++;
    for (size_t i = 0; i + 1 < vm->nroutes; i++)
      if (strcmp(vm->routes[i].method, r->method) == 0 &&
          strcmp(vm->routes[i].path, r->path) == 0)
        return vm_fail(err, errlen, "config: %s: '%s' has a route already",
                       table, key);
    if ((rc = vm_route_value(L, key, r, config, err, errlen)) < 0)
      return rc;
    file = lua_isfunction(L, -1);
    if (!file &&
        (rc = vm_require_route(L, key, lua_tostring(L, -1), err, errlen)) < 0)
      return rc;
    r->handler = luaL_ref(L, LUA_REGISTRYINDEX);
    if (!file)
      lua_pop(L, 1); /* the module name */
  }
  return 0;
}

/* config.routes, and config.dev.routes while the dev bucket runs. */
static int vm_load_routes(sgw_vm_t *vm, int cfg, const char *config,
                          int dev, char *err, size_t errlen) {
  lua_State *L = vm->L;
  size_t n;
  int rc, has_dev = 0;

  if (lua_getfield(L, cfg, "routes") != LUA_TTABLE)
    return vm_fail(err, errlen, "config: routes must be a table");
  n = vm_count(L);
  if (dev && sgw_settings_field(L, cfg, "dev") == LUA_TTABLE) {
    if (sgw_settings_field(L, -1, "routes") == LUA_TTABLE) {
      n += vm_count(L);
      has_dev = 1;
    } else if (!lua_isnil(L, -1)) {
      return vm_fail(err, errlen, "config: dev.routes must be a table");
    }
    lua_replace(L, -2); /* dev.routes (or nil) above routes */
  }
  if (!has_dev && dev)
    lua_pop(L, 1);
  vm->routes = calloc(n ? n : 1, sizeof(*vm->routes));
  if (vm->routes == NULL)
    return SGW_ENOMEM;
  if (has_dev) {
    if ((rc = vm_add_routes(vm, "dev.routes", config, err, errlen)) < 0)
      return rc;
    lua_pop(L, 1);
  }
  if ((rc = vm_add_routes(vm, "routes", config, err, errlen)) < 0)
    return rc;
  lua_pop(L, 1);
  return 0;
}

/* t.config and t.worker_id, for the table on top: both gw and ctx
 * have them. */
static void vm_set_identity(sgw_vm_t *vm, int cfg) {
  lua_State *L = vm->L;

  lua_pushvalue(L, cfg);
  lua_setfield(L, -2, "config");
  lua_pushinteger(L, vm->worker_id);
  lua_setfield(L, -2, "worker_id");
}

static void vm_set_gw_fields(sgw_vm_t *vm, int cfg,
                             const sgw_vm_opts_t *o) {
  lua_State *L = vm->L;

  lua_pushlightuserdata(L, (void *)o->status);
  lua_setfield(L, LUA_REGISTRYINDEX, SGW_STATUS_KEY);

  lua_getglobal(L, "gw");
  vm_set_identity(vm, cfg);
  lua_pushinteger(L, vm->generation);
  lua_setfield(L, -2, "generation");
  /* gw.dev: the dev bucket uploads go to instead of COS (nil: none). */
  if (o->dev_host != NULL) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, o->dev_host);
    lua_setfield(L, -2, "host");
    lua_pushstring(L, o->dev_bucket != NULL ? o->dev_bucket : "");
    lua_setfield(L, -2, "bucket");
    lua_pushliteral(L, "http");
    lua_setfield(L, -2, "scheme");
    lua_setfield(L, -2, "dev");
  }
  lua_pop(L, 1);
}

/* ctx.k = v on a request's ctx. Fields of the shared part cannot be
 * replaced; any other field is the request's own. Upvalue 1: the shared
 * part. */
static int vm_ctx_newindex(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
    return luaL_error(L, "ctx.%s is shared by every request and read-only; "
                      "keep per-request state in fields of your own on ctx "
                      "(such as ctx.user): those belong to this request "
                      "alone and are dropped when it ends",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
                                                    : "?");
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 0;
}

/* The part of ctx every request of this VM shares (config, cred,
 * worker_id) and the metatable that puts it under each request's own
 * ctx table. */
static void vm_make_ctx(sgw_vm_t *vm, int cfg) {
  lua_State *L = vm->L;

  lua_createtable(L, 0, 3); /* metatable */
  lua_createtable(L, 0, 3); /* shared part */
  vm_set_identity(vm, cfg);
  sgw_lua_push_cred(L, vm->cred);
  lua_setfield(L, -2, "cred");
  if (vm->cred->s3 != NULL) { /* gw.s3 signs with it */
    sgw_lua_push_cred(L, vm->cred->s3);
    lua_setfield(L, -2, "s3_cred");
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__index");
  lua_pushcclosure(L, vm_ctx_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "locked"); /* getmetatable() must not reach it */
  lua_setfield(L, -2, "__metatable");
  vm->ctx_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* "config: x must be ..." becomes "/path/config.lua: x must be ...":
 * a value's line is not known, its file is. */
static void vm_name_config(char *err, size_t errlen, const char *path) {
  char msg[SGW_ERR_MAX];

  if (strncmp(err, "config: ", 8) != 0)
    return;
  snprintf(msg, sizeof(msg), "%s", err + 8);
  snprintf(err, errlen, "%s: %s", path, msg);
}

static int vm_build(sgw_vm_t *vm, const sgw_vm_opts_t *o, char *err,
                    size_t errlen) {
  lua_State *L = vm->L;
  const char *path = o->sources->config_path;
  int rc, cfg;

  luaL_openlibs(L);
  vm_preload(L);
  if ((rc = vm_run_config(L, path, o->sources, err, errlen)) < 0)
    return rc;
  cfg = lua_gettop(L);
  if ((rc = sgw_settings_read(L, cfg, &vm->settings, err, errlen)) < 0 ||
      (rc = vm_set_paths(vm, cfg, path, err, errlen)) < 0) {
    vm_name_config(err, errlen, path);
    return rc;
  }
  /* config.shared: before the routes, which may look their dicts up. */
  if ((rc = sgw_lua_shared_config(L, cfg, err, errlen)) < 0) {
    vm_name_config(err, errlen, path);
    return rc;
  }
  if (!o->sources->have_mods &&
      (rc = sgw_sources_read_modules(o->sources, vm->dirs, vm->ndirs, err,
                                     errlen)) < 0)
    return rc;
  vm_set_gw_fields(vm, cfg, o);
  vm_sandbox(L, o->sources);
  vm_make_ctx(vm, cfg);
  if ((rc = vm_check_outbound(L, err, errlen)) < 0 ||
      (rc = vm_load_routes(vm, cfg, path, o->dev_host != NULL, err,
                           errlen)) < 0 ||
      (rc = vm_load_error_handler(vm, cfg, err, errlen)) < 0)
    vm_name_config(err, errlen, path);
  return rc;
}

typedef struct vm_build_args_s {
  sgw_vm_t *vm;
  const sgw_vm_opts_t *opts;
  char *err;
  size_t errlen;
  int rc;
} vm_build_args_t;

/* Runs vm_build inside lua_pcall: everything the config and the scripts
 * hand over (tables with metamethods, error objects with __tostring) is
 * read under protection, so no script can raise outside it. */
static int vm_build_protected(lua_State *L) {
  vm_build_args_t *a = lua_touserdata(L, 1);

  lua_pop(L, 1);
  a->rc = vm_build(a->vm, a->opts, a->err, a->errlen);
  return 0;
}

static int vm_build_all(sgw_vm_t *vm, const sgw_vm_opts_t *o, char *err,
                        size_t errlen) {
  vm_build_args_t a = {vm, o, err, errlen, 0};
  const char *path = o->sources->config_path, *msg;
  int st;

  lua_pushcfunction(vm->L, vm_build_protected);
  lua_pushlightuserdata(vm->L, &a);
  st = lua_pcall(vm->L, 1, 0, 0);
  if (st == LUA_OK)
    return a.rc;
  if (st == LUA_ERRMEM)
    return SGW_ENOMEM;
  /* Raised by a metamethod of the config (a "strict" table refusing a
   * key the C core asked for, say): it carries its own file:line. */
  msg = lua_tostring(vm->L, -1);
  if (msg == NULL)
    msg = "(error object is not a string)";
  if (strncmp(msg, path, strlen(path)) == 0)
    snprintf(err, errlen, "%s", msg);
  else
    snprintf(err, errlen, "%s: %s", path, msg);
  return SGW_EINVAL;
}

int sgw_vm_open(const sgw_vm_opts_t *o, sgw_vm_t **out, char *err,
                size_t errlen) {
  sgw_vm_t *vm = calloc(1, sizeof(*vm));
  int rc;

  *out = NULL;
  if (vm == NULL || (vm->L = lua_newstate(sgw_budget_alloc, vm)) == NULL) {
    free(vm);
    snprintf(err, errlen, "out of memory creating a Lua VM");
    return SGW_ENOMEM;
  }
  /* The main thread's extra space is copied into every coroutine: NULL
   * there means "not inside a request". */
  *(void **)lua_getextraspace(vm->L) = NULL;
  lua_atpanic(vm->L, vm_panic);
  /* Request garbage dies young: the generational collector suits it. */
  lua_gc(vm->L, LUA_GCGEN, 0, 0);
  lua_setwarnf(vm->L, vm_warn, vm);
  sgw_budget_install(vm);
  vm->worker_id = o->worker_id;
  vm->generation = o->generation;
  vm->cred = sgw_cred_ref(o->cred);
  vm->ctx_mt_ref = LUA_NOREF;
  vm->error_handler = LUA_NOREF;
  vm->idle = calloc(SGW__IDLE_THREADS, sizeof(*vm->idle));
  vm->idle_refs = calloc(SGW__IDLE_THREADS, sizeof(*vm->idle_refs));
  if (vm->idle == NULL || vm->idle_refs == NULL)
    rc = SGW_ENOMEM;
  else {
    sgw_budget_arm(vm, NULL, SGW__LOAD_BUDGET_NS);
    rc = vm_build_all(vm, o, err, errlen);
    sgw_budget_arm(vm, NULL, 0);
  }
  if (rc < 0) {
    if (rc == SGW_ENOMEM)
      snprintf(err, errlen, "out of memory building the Lua VM");
    sgw_vm_close(vm);
    return rc;
  }
  lua_settop(vm->L, 0);
  vm->mem_limit = (size_t)vm->settings.limits.script_memory_mb << 20;
  if (vm->mem_used >= vm->mem_limit) {
    snprintf(err, errlen, "%s: the scripts need %zu KiB at load, more "
             "than limits.script_memory_mb", o->sources->config_path,
             vm->mem_used >> 10);
    sgw_vm_close(vm);
    return SGW_ERANGE;
  }
  *out = vm;
  return 0;
}

/* A new coroutine and its ctx table. The registry anchors the ctx; the
 * ctx's own metatable (a copy of the shared one, out of the scripts'
 * reach) anchors the coroutine, so one ref keeps both and one unref lets
 * both go. Leaves nothing on the stack. */
static lua_State *vm_new_thread(sgw_vm_t *vm, int *ref) {
  static const char *const fields[] = {"__index", "__newindex",
                                       "__metatable"};
  lua_State *L = vm->L, *co;

  lua_createtable(L, 0, 4); /* ctx: room for a few fields before a rehash */
  lua_createtable(L, 1, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm->ctx_mt_ref);
  for (int i = 0; i < 3; i++) {
    lua_getfield(L, -1, fields[i]);
    lua_setfield(L, -3, fields[i]);
  }
  lua_pop(L, 1);
  co = lua_newthread(L);
  lua_rawseti(L, -2, 1);
  lua_setmetatable(L, -2);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return co;
}

lua_State *sgw_vm_thread(sgw_vm_t *vm, int *ref) {
  if (vm->nidle > 0) {
    vm->nidle--;
    *ref = vm->idle_refs[vm->nidle];
    return vm->idle[vm->nidle];
  }
  return vm_new_thread(vm, ref);
}

/* The ctx is emptied here, as its next request starts, rather than when
 * the last one ended: it is on the stack now anyway. */
void sgw_vm_push_ctx(sgw_vm_t *vm, lua_State *co, int ref) {
  int ctx;

  (void)vm;
  lua_rawgeti(co, LUA_REGISTRYINDEX, ref);
  ctx = lua_gettop(co);
  lua_pushnil(co);
  while (lua_next(co, ctx)) {
    lua_pop(co, 1);
    lua_pushvalue(co, -1);
    lua_pushnil(co);
    lua_rawset(co, ctx);
  }
}

void sgw_vm_thread_done(sgw_vm_t *vm, lua_State *co, int ref, int reusable) {
  if (reusable && vm->nidle < SGW__IDLE_THREADS &&
      lua_status(co) == LUA_OK) {
    lua_settop(co, 0);
    vm->idle[vm->nidle] = co;
    vm->idle_refs[vm->nidle++] = ref;
    return;
  }
  luaL_unref(vm->L, LUA_REGISTRYINDEX, ref);
}

void sgw_vm_close(sgw_vm_t *vm) {
  if (vm == NULL)
    return;
  lua_close(vm->L);
  sgw_cred_unref(vm->cred); /* after the VM: its cred userdata points here */
  for (size_t i = 0; i < vm->nroutes; i++) {
    free(vm->routes[i].method);
    free(vm->routes[i].path);
  }
  free(vm->routes);
  free(vm->idle);
  free(vm->idle_refs);
  for (size_t i = 0; i < vm->ndirs; i++)
    free(vm->dirs[i]);
  free(vm->dirs);
  free(vm);
}

/* Appends ", METHOD" (or "METHOD" first) to allow, unless it is there. */
static size_t allow_add(char *allow, size_t used, size_t size,
                        const char *method) {
  size_t n = strlen(method);

  for (const char *p = allow; (p = strstr(p, method)) != NULL; p += n)
    if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
      return used;
  if (used + n + 3 > size)
    return used;
  if (used > 0) {
    memcpy(allow + used, ", ", 2);
    used += 2;
  }
  memcpy(allow + used, method, n + 1);
  return used + n;
}

static int vm_route_is(const sgw_route_t *r, const char *path,
                       size_t path_len) {
  return r->path_len == path_len && memcmp(r->path, path, path_len) == 0;
}

const sgw_route_t *sgw_vm_route(const sgw_vm_t *vm, const char *method,
                                const char *path, size_t path_len,
                                char *allow, size_t allow_size) {
  /* Allow lists the methods in this order (then any others), whatever
   * order the config's table hands the routes over in. */
  static const char *const order[] = {"GET",   "HEAD",   "POST",   "PUT",
                                      "PATCH", "DELETE", "OPTIONS", NULL};
  const sgw_route_t *get = NULL;
  size_t used = 0;
  int head = strcmp(method, "HEAD") == 0, any = 0;

  allow[0] = '\0';
  for (size_t i = 0; i < vm->nroutes; i++) {
    const sgw_route_t *r = &vm->routes[i];
    if (!vm_route_is(r, path, path_len))
      continue;
    if (strcmp(r->method, method) == 0)
      return r;
    if (strcmp(r->method, "GET") == 0)
      get = r;
    any = 1;
  }
  if (head && get != NULL)
    return get; /* answered like GET, without the body */
  if (!any)
    return NULL;
  for (int k = 0; order[k] != NULL; k++)
    for (size_t i = 0; i < vm->nroutes; i++)
      if (vm_route_is(&vm->routes[i], path, path_len) &&
          (strcmp(vm->routes[i].method, order[k]) == 0 ||
           (strcmp(order[k], "HEAD") == 0 &&
            strcmp(vm->routes[i].method, "GET") == 0)))
        used = allow_add(allow, used, allow_size, order[k]);
  for (size_t i = 0; i < vm->nroutes; i++)
    if (vm_route_is(&vm->routes[i], path, path_len))
      used = allow_add(allow, used, allow_size, vm->routes[i].method);
  return NULL;
}
