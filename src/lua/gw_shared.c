/* gw.shared: the process's shared dictionaries (src/runtime/shared.c) for
 * scripts, like ngx.shared.DICT.
 *
 *   local counters = require("gw.shared").counters   -- or .dict("counters")
 *   counters:set("k", "v", 10)      --> true [, nil, forcible]
 *   counters:get("k")               --> "v" | nil
 *   counters:incr("hits", 1, 0, 60) --> 1   | nil, "not found"
 *   counters:limit("ip:1.2.3.4", 10, 5)  --> true, left | false, retry_after
 *   counters:add / :delete / :get_keys / :flush_all / :capacity / :free_space
 *
 * Dicts come from the config (`shared = { counters = "1m" }`) and outlive
 * every VM: a userdata holds a plain pointer. No Lua call runs while a
 * dict is locked (a Lua error there would leave it locked): arguments are
 * checked first, results pushed after. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "lua/gw_lua.h"
#include "runtime/settings.h"
#include "runtime/shared.h"
#include "signgw/error.h"

#define SGW__SHARED_MT "gw.shared.dict"
#define SGW__SHARED_SCRATCH_MT "gw.shared.scratch"
#define SGW__SHARED_MAX_DICTS 256
#define SGW__SHARED_DEFAULT_KEYS 1024

static sgw_shared_dict_t *check_dict(lua_State *L) {
  return *(sgw_shared_dict_t **)luaL_checkudata(L, 1, SGW__SHARED_MT);
}

/* The VM's copy buffer (upvalue 1): values are copied out of the dict into
 * it under the lock, then pushed. It belongs to the VM, so a Lua error
 * while pushing leaks nothing. */
static sgw_buf_t *scratch(lua_State *L) {
  return lua_touserdata(L, lua_upvalueindex(1));
}

static int scratch_gc(lua_State *L) {
  sgw_buf_free(lua_touserdata(L, 1));
  return 0;
}

static const char *check_key(lua_State *L, int idx, size_t *len) {
  const char *k = luaL_checklstring(L, idx, len);

  luaL_argcheck(L, *len > 0, idx, "empty key");
  luaL_argcheck(L, *len <= SGW_SHARED_MAX_KEY, idx, "key too long");
  return k;
}

static double opt_ttl(lua_State *L, int idx) {
  double ttl = (double)luaL_optnumber(L, idx, 0);

  luaL_argcheck(L, ttl >= 0 && ttl <= SGW_SHARED_MAX_TTL, idx,
                "ttl must be 0 (none) or seconds up to 2^31");
  return ttl;
}

/* A number, or a string holding one ("5" stays an integer, as in Lua). */
static void check_number(lua_State *L, int idx, sgw_shared_value_t *v) {
  int isint = 0;
  lua_Integer i = 0;

  memset(v, 0, sizeof(*v));
  if (lua_type(L, idx) == LUA_TNUMBER)
    isint = lua_isinteger(L, idx);
  else if (lua_type(L, idx) == LUA_TSTRING)
    i = lua_tointegerx(L, idx, &isint);
  if (isint) {
    v->type = SGW_SHARED_INTEGER;
    v->i = (long long)(lua_type(L, idx) == LUA_TNUMBER ? lua_tointeger(L, idx)
                                                       : i);
  } else {
    v->type = SGW_SHARED_NUMBER;
    v->n = (double)luaL_checknumber(L, idx);
  }
}

static void check_value(lua_State *L, int idx, sgw_shared_value_t *v) {
  memset(v, 0, sizeof(*v));
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
  case LUA_TNONE:
    v->type = SGW_SHARED_NIL;
    break;
  case LUA_TBOOLEAN:
    v->type = SGW_SHARED_BOOLEAN;
    v->i = lua_toboolean(L, idx);
    break;
  case LUA_TNUMBER:
    check_number(L, idx, v);
    break;
  case LUA_TSTRING:
    v->type = SGW_SHARED_STRING;
    v->s = lua_tolstring(L, idx, &v->len);
    break;
  default:
    luaL_typeerror(L, idx, "string, number, boolean or nil");
  }
}

static void push_value(lua_State *L, const sgw_shared_value_t *v) {
  switch (v->type) {
  case SGW_SHARED_STRING:
    lua_pushlstring(L, v->s, v->len);
    break;
  case SGW_SHARED_INTEGER:
    lua_pushinteger(L, (lua_Integer)v->i);
    break;
  case SGW_SHARED_NUMBER:
    lua_pushnumber(L, (lua_Number)v->n);
    break;
  case SGW_SHARED_BOOLEAN:
    lua_pushboolean(L, v->i != 0);
    break;
  default:
    lua_pushnil(L);
  }
}

/* nil, message for a failed write (ngx.shared's words where they exist). */
static int fail(lua_State *L, int rc) {
  lua_pushnil(L);
  switch (rc) {
  case SGW_ETOOBIG:
    lua_pushliteral(L, "no memory");
    break;
  case SGW_ENOENT:
    lua_pushliteral(L, "not found");
    break;
  case SGW_EINVAL:
    lua_pushliteral(L, "not a number");
    break;
  case SGW_ERANGE:
    lua_pushliteral(L, "integer overflow");
    break;
  default:
    lua_pushstring(L, sgw_strerror(rc));
  }
  return 2;
}

/* dict:get(key) -> value | nil */
static int l_get(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);
  sgw_shared_value_t v;
  int rc = sgw_shared_get(d, key, klen, &v, scratch(L));

  if (rc == SGW_ENOENT) {
    lua_pushnil(L);
    return 1;
  }
  if (rc < 0)
    return fail(L, rc);
  push_value(L, &v);
  return 1;
}

/* The result on the stack, then nil, true when the write evicted live
 * items to make room (ngx.shared's forcible). */
static int with_forcible(lua_State *L, int forcible) {
  if (!forcible)
    return 1;
  lua_pushnil(L);
  lua_pushboolean(L, 1);
  return 3;
}

/* Returns true [, nil, forcible] like ngx.shared; nil, err on failure. */
static int stored(lua_State *L, int rc, int forcible) {
  if (rc < 0)
    return fail(L, rc);
  lua_pushboolean(L, 1);
  return with_forcible(L, forcible);
}

/* dict:set(key, value [, ttl]): nil deletes. */
static int l_set(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);
  sgw_shared_value_t v;
  double ttl;
  int forcible = 0, rc;

  check_value(L, 3, &v);
  ttl = opt_ttl(L, 4);
  rc = sgw_shared_set(d, key, klen, &v, ttl, &forcible);
  return stored(L, rc, forcible);
}

/* dict:add(key, value [, ttl]) -> true | nil, "exists" */
static int l_add(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);
  sgw_shared_value_t v;
  double ttl;
  int forcible = 0, rc;

  check_value(L, 3, &v);
  luaL_argcheck(L, v.type != SGW_SHARED_NIL, 3, "value expected");
  ttl = opt_ttl(L, 4);
  rc = sgw_shared_add(d, key, klen, &v, ttl, &forcible);
  if (rc == 1) {
    lua_pushnil(L);
    lua_pushliteral(L, "exists");
    return 2;
  }
  return stored(L, rc, forcible);
}

/* dict:incr(key, by [, init [, init_ttl]]) -> new value | nil, err */
static int l_incr(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);
  sgw_shared_value_t by, init, out;
  int has_init = !lua_isnoneornil(L, 4), forcible = 0, rc;
  double ttl;

  check_number(L, 3, &by);
  if (has_init)
    check_number(L, 4, &init);
  ttl = opt_ttl(L, 5);
  rc = sgw_shared_incr(d, key, klen, &by, has_init ? &init : NULL, ttl, &out,
                       &forcible);
  if (rc < 0)
    return fail(L, rc);
  push_value(L, &out);
  return with_forcible(L, forcible);
}

/* dict:limit(key, rate [, burst]) -> true, how many more now
 *                                  | false, seconds until the next
 *                                  | nil, err
 * A leaky bucket draining `rate` requests per second that holds `burst`
 * more (default 0), exact across workers: see sgw_shared_limit. */
static int l_limit(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);
  double rate = (double)luaL_checknumber(L, 3);
  double burst = (double)luaL_optnumber(L, 4, 0);
  double n = 0;
  int forcible = 0, rc;

  luaL_argcheck(L, rate > 0 && rate <= 1e9, 3,
                "rate must be more than 0 and at most 1e9 per second");
  luaL_argcheck(L, burst >= 0 && burst <= 1e9, 4,
                "burst must be 0 to 1e9 requests");
  rc = sgw_shared_limit(d, key, klen, rate, burst, &n, &forcible);
  if (rc == SGW_EINVAL) {
    lua_pushnil(L);
    lua_pushliteral(L, "not a rate limit key");
    return 2;
  }
  if (rc < 0)
    return fail(L, rc);
  lua_pushboolean(L, rc == 0);
  if (rc == 0)
    lua_pushinteger(L, (lua_Integer)n);
  else
    lua_pushnumber(L, (lua_Number)n);
  return 2;
}

/* dict:delete(key) -> true */
static int l_delete(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  size_t klen;
  const char *key = check_key(L, 2, &klen);

  sgw_shared_delete(d, key, klen);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_flush_all(lua_State *L) {
  sgw_shared_flush_all(check_dict(L));
  return 0;
}

/* dict:get_keys([max]) -> { key, ... }, most recently written first;
 * max 0 means all, default 1024. */
static int l_get_keys(lua_State *L) {
  sgw_shared_dict_t *d = check_dict(L);
  lua_Integer max = luaL_optinteger(L, 2, SGW__SHARED_DEFAULT_KEYS);
  sgw_buf_t *buf = scratch(L);
  size_t n, off = 0;
  int rc;

  luaL_argcheck(L, max >= 0, 2, "must not be negative");
  if ((rc = sgw_shared_keys(d, (size_t)max, buf, &n)) < 0)
    return fail(L, rc);
  lua_createtable(L, n > 1000000 ? 1000000 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    size_t klen;
    memcpy(&klen, buf->base + off, sizeof(klen));
    off += sizeof(klen);
    lua_pushlstring(L, buf->base + off, klen);
    off += klen;
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int l_capacity(lua_State *L) {
  size_t cap;

  sgw_shared_stats(check_dict(L), &cap, NULL, NULL);
  lua_pushinteger(L, (lua_Integer)cap);
  return 1;
}

/* Bytes not in use now (expired entries still count until removed). */
static int l_free_space(lua_State *L) {
  size_t cap, used;

  sgw_shared_stats(check_dict(L), &cap, &used, NULL);
  lua_pushinteger(L, (lua_Integer)(cap - used));
  return 1;
}

static int l_tostring(lua_State *L) {
  lua_pushfstring(L, "gw.shared.dict(%s)", sgw_shared_name(check_dict(L)));
  return 1;
}

static void push_dict(lua_State *L, sgw_shared_dict_t *d) {
  *(sgw_shared_dict_t **)lua_newuserdatauv(L, sizeof(d), 0) = d;
  luaL_setmetatable(L, SGW__SHARED_MT);
}

/* Pushes the dict named by the string at idx, or nil. Each VM keeps one
 * userdata per dict, cached in the module table (upvalue 1) under its
 * name unless the name is taken there (a dict called "dict" is reached
 * only through dict("dict")). */
static int push_named(lua_State *L, int idx) {
  size_t len;
  const char *name = lua_tolstring(L, idx, &len);
  sgw_shared_dict_t *d;
  int cached;

  lua_pushvalue(L, idx);
  cached = lua_rawget(L, lua_upvalueindex(1));
  if (luaL_testudata(L, -1, SGW__SHARED_MT) != NULL)
    return 1;
  lua_pop(L, 1);
  if ((d = sgw_shared_find(name, len)) == NULL) {
    lua_pushnil(L);
    return 1;
  }
  push_dict(L, d);
  if (cached == LUA_TNIL) {
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(1));
  }
  return 1;
}

/* gw.shared.dict(name) -> dict | nil */
static int l_dict(lua_State *L) {
  luaL_checkstring(L, 1);
  return push_named(L, 1);
}

/* gw.shared.NAME: __index(module, name) */
static int l_index(lua_State *L) {
  if (lua_type(L, 2) != LUA_TSTRING) {
    lua_pushnil(L);
    return 1;
  }
  return push_named(L, 2);
}

int luaopen_gw_shared(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"get", l_get},           {"set", l_set},
      {"add", l_add},           {"incr", l_incr},
      {"limit", l_limit},
      {"delete", l_delete},     {"flush_all", l_flush_all},
      {"get_keys", l_get_keys}, {"capacity", l_capacity},
      {"free_space", l_free_space}, {NULL, NULL}};
  sgw_buf_t *buf;

  /* The copy buffer, shared by the methods as their upvalue. */
  buf = lua_newuserdatauv(L, sizeof(*buf), 0);
  sgw_buf_init(buf);
  if (luaL_newmetatable(L, SGW__SHARED_SCRATCH_MT)) {
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);

  if (luaL_newmetatable(L, SGW__SHARED_MT)) {
    lua_newtable(L);
    lua_pushvalue(L, -3);
    luaL_setfuncs(L, methods, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "gw.shared.dict");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 2); /* metatable, buffer */

  lua_newtable(L); /* the module */
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, l_dict, 1);
  lua_setfield(L, -2, "dict");
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, l_index, 1);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  return 1;
}

/* ---- dicts from the config ---- */

typedef struct sgw__shared_conf_s {
  char name[64];
  size_t bytes;
} sgw__shared_conf_t;

int sgw_lua_shared_config(lua_State *L, int cfg, char *err, size_t errlen) {
  sgw__shared_conf_t conf[SGW__SHARED_MAX_DICTS];
  size_t n = 0;
  int rc = 0;

  cfg = lua_absindex(L, cfg);
  if (sgw_settings_field(L, cfg, "shared") == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: shared must be a table of name = size");
    return SGW_EINVAL;
  }
  /* Everything is checked before any dict is made: a bad entry fails the
   * whole config and changes nothing. */
  for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
    const char *name = lua_type(L, -2) == LUA_TSTRING
                           ? lua_tostring(L, -2) : NULL;
    sgw__shared_conf_t *c = &conf[n];
    if (name == NULL || strlen(name) >= sizeof(c->name) ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_") != strlen(name) ||
        (name[0] >= '0' && name[0] <= '9')) {
      snprintf(err, errlen, "config: shared: dict names are 1 to 63 of "
               "[A-Za-z0-9_], not starting with a digit (got %s)",
               name ? name : luaL_typename(L, -2));
      rc = SGW_EINVAL;
      break;
    }
    if (n == SGW__SHARED_MAX_DICTS) {
      snprintf(err, errlen, "config: shared: at most %d dicts",
               SGW__SHARED_MAX_DICTS);
      rc = SGW_EINVAL;
      break;
    }
    if (lua_isinteger(L, -1)) {
      lua_Integer v = lua_tointeger(L, -1);
      rc = v < SGW_SHARED_MIN_CAPACITY || (size_t)v > SGW_SHARED_MAX_CAPACITY
               ? SGW_ERANGE : 0;
      c->bytes = (size_t)v;
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      rc = sgw_shared_parse_size(lua_tostring(L, -1), &c->bytes);
    } else {
      rc = SGW_EINVAL;
    }
    if (rc < 0) {
      snprintf(err, errlen, "config: shared.%s must be a size in bytes from "
               "4096, or text like \"512k\", \"10m\", \"1g\"", name);
      rc = SGW_EINVAL;
      break;
    }
    strcpy(c->name, name);
    n++;
  }
  if (rc < 0) {
    lua_pop(L, 3); /* the table, and the key and value left by the break */
    return rc;
  }
  lua_pop(L, 1);
  for (size_t i = 0; i < n; i++) {
    sgw_shared_dict_t *d;
    size_t cap;
    rc = sgw_shared_open(conf[i].name, conf[i].bytes, &d);
    if (rc < 0) {
      snprintf(err, errlen, "shared dict %s: %s", conf[i].name,
               sgw_strerror(rc));
      return rc;
    }
    sgw_shared_stats(d, &cap, NULL, NULL);
    if (rc == SGW_SHARED_CREATED)
      sgw_log_info("shared dict '%s': %zu bytes", conf[i].name, cap);
    else if (rc == SGW_SHARED_KEPT)
      sgw_log_warn("shared dict '%s' keeps %zu bytes until a restart "
                   "(the config now asks for %zu)", conf[i].name, cap,
                   conf[i].bytes);
  }
  return 0;
}
