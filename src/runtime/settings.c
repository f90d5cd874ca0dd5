#include "runtime/settings.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"

int sgw_settings_listen(sgw_settings_t *s, const char *listen, char *err,
                        size_t errlen) {
  const char *colon = strrchr(listen, ':');
  const char *host = listen;
  size_t hlen;
  char *end;
  long port;

  if (colon == NULL)
    goto bad;
  hlen = (size_t)(colon - listen);
  if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
    host++;
    hlen -= 2;
  }
  port = strtol(colon + 1, &end, 10);
  if (hlen == 0 || hlen >= sizeof(s->host) || *end != '\0' ||
      end == colon + 1 || port < 0 || port > 65535)
    goto bad;
  memcpy(s->host, host, hlen);
  s->host[hlen] = '\0';
  s->port = (int)port;
  return 0;

bad:
  snprintf(err, errlen, "listen: expected HOST:PORT, got '%s'", listen);
  return SGW_EINVAL;
}

/* t[k] through __index, with `t` and `k` as arguments. */
static int field_get(lua_State *L) {
  lua_gettable(L, 1);
  return 1;
}

int sgw_settings_field(lua_State *L, int idx, const char *key) {
  int st;

  idx = lua_absindex(L, idx);
  lua_pushstring(L, key);
  if (lua_rawget(L, idx) != LUA_TNIL || !lua_getmetatable(L, idx))
    return lua_type(L, -1);
  lua_pop(L, 2);
  lua_pushcfunction(L, field_get);
  lua_pushvalue(L, idx);
  lua_pushstring(L, key);
  st = lua_pcall(L, 2, 1, 0);
  if (st == LUA_ERRMEM)
    lua_error(L);
  if (st != LUA_OK) { /* a "strict" table saying it has no such key */
    lua_pop(L, 1);
    lua_pushnil(L);
  }
  return lua_type(L, -1);
}

/* Reads an optional non-negative integer field of the table on top. */
static int read_uint(lua_State *L, const char *table, const char *name,
                     size_t min, size_t max, size_t *out, char *err,
                     size_t errlen) {
  int isnum, t = sgw_settings_field(L, -1, name);
  lua_Integer v = lua_tointegerx(L, -1, &isnum);

  lua_pop(L, 1);
  if (t == LUA_TNIL)
    return 0;
  /* A number, not a string that looks like one. */
  if (t != LUA_TNUMBER || !isnum || v < 0 || (size_t)v < min ||
      (size_t)v > max) {
    snprintf(err, errlen, "config: %s.%s must be an integer from %zu to %zu",
             table, name, min, max);
    return SGW_EINVAL;
  }
  *out = (size_t)v;
  return 0;
}

static int read_limits(lua_State *L, sgw_limits_t *l, char *err,
                       size_t errlen) {
  enum { N = 11 };
  size_t v[N] = {l->max_url, l->max_header_bytes, l->max_headers,
                 l->max_body, l->max_connections, l->header_timeout_ms,
                 l->idle_timeout_ms, l->script_timeout_ms,
                 l->script_memory_mb, l->send_timeout_ms,
                 l->shutdown_timeout_ms};
  static const char *const names[N] = {
      "max_url", "max_header_bytes", "max_headers", "max_body",
      "max_connections", "header_timeout_ms", "idle_timeout_ms",
      "script_timeout_ms", "script_memory_mb", "send_timeout_ms",
      "shutdown_timeout_ms"};
  static const size_t min[N] = {64, 1024, 8, 0, 1, 100, 100, 1, 4, 100, 0};
  static const size_t max[N] = {1 << 20, 1 << 20, 10000, 1 << 30, 1000000,
                                3600000, 3600000, 600000, 65536, 3600000,
                                3600000};
  int rc = 0;

  for (int i = 0; i < N && rc == 0; i++)
    rc = read_uint(L, "limits", names[i], min[i], max[i], &v[i], err,
                   errlen);
  if (rc < 0)
    return rc;
  l->max_url = v[0];
  l->max_header_bytes = v[1];
  l->max_headers = (unsigned)v[2];
  l->max_body = v[3];
  l->max_connections = (unsigned)v[4];
  l->header_timeout_ms = (unsigned)v[5];
  l->idle_timeout_ms = (unsigned)v[6];
  l->script_timeout_ms = (unsigned)v[7];
  l->script_memory_mb = (unsigned)v[8];
  l->send_timeout_ms = (unsigned)v[9];
  l->shutdown_timeout_ms = (unsigned)v[10];
  return 0;
}

/* A string field of the table on top into out (size bytes): 0 when
 * absent (out untouched), SGW_EINVAL when not a string that fits. */
static int read_string(lua_State *L, const char *path, const char *name,
                       char *out, size_t size, char *err, size_t errlen) {
  int t = sgw_settings_field(L, -1, name);
  size_t len = 0;
  const char *v = t == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
  int rc = 0;

  if (t != LUA_TNIL && (v == NULL || len == 0 || len >= size ||
                        strlen(v) != len)) {
    snprintf(err, errlen, "config: %s.%s must be a non-empty string of at "
             "most %zu bytes", path, name, size - 1);
    rc = SGW_EINVAL;
  } else if (v != NULL) {
    memcpy(out, v, len + 1);
  }
  lua_pop(L, 1);
  return rc;
}

static int loopback(const char *host) {
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* config.dev, the table on top, and the bucket name (cos.bucket). */
static int read_dev(lua_State *L, sgw_dev_settings_t *d, char *err,
                    size_t errlen) {
  sgw_settings_t tmp = {0};
  char listen[96] = "";
  size_t max = (size_t)d->max_size;
  const char *v;
  int t, rc;

  t = sgw_settings_field(L, -1, "enabled");
  v = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (t == LUA_TBOOLEAN)
    d->mode = lua_toboolean(L, -1) ? SGW_DEV_ON : SGW_DEV_OFF;
  else if (v != NULL && strcmp(v, "auto") == 0)
    d->mode = SGW_DEV_AUTO;
  else if (v != NULL && (!strcmp(v, "1") || !strcmp(v, "on") ||
                         !strcmp(v, "true") || !strcmp(v, "yes")))
    d->mode = SGW_DEV_ON;
  else if (v != NULL && (!strcmp(v, "0") || !strcmp(v, "off") ||
                         !strcmp(v, "false") || !strcmp(v, "no")))
    d->mode = SGW_DEV_OFF;
  else if (t != LUA_TNIL) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: dev.enabled must be true, false or "
             "\"auto\" (or \"1\"/\"0\", \"on\"/\"off\")");
    return SGW_EINVAL;
  }
  lua_pop(L, 1);
  if ((rc = read_string(L, "dev", "listen", listen, sizeof(listen), err,
                        errlen)) < 0 ||
      (rc = read_string(L, "dev", "data_dir", d->data_dir,
                        sizeof(d->data_dir), err, errlen)) < 0 ||
      (rc = read_uint(L, "dev", "max_size", 1, (size_t)5 << 30, &max, err,
                      errlen)) < 0)
    return rc;
  d->max_size = max;
  if (listen[0] != '\0') {
    if (sgw_settings_listen(&tmp, listen, err, errlen) < 0) {
      snprintf(err, errlen, "config: dev.listen: expected HOST:PORT, got "
               "'%s'", listen);
      return SGW_EINVAL;
    }
    memcpy(d->host, tmp.host, sizeof(d->host));
    d->port = tmp.port;
  }
  /* The dev bucket holds files anyone who reaches it may write. */
  if (!loopback(d->host)) {
    snprintf(err, errlen, "config: dev.listen must be a loopback address "
             "(127.0.0.1, ::1), not '%s'", d->host);
    return SGW_EINVAL;
  }
  return 0;
}

/* cos.bucket, when there is one: the dev bucket's name. The scripts
 * check it fully (lua/policy/check.lua); here it must only be short. */
static int read_bucket(lua_State *L, int idx, sgw_dev_settings_t *d,
                       char *err, size_t errlen) {
  int rc = 0;

  if (sgw_settings_field(L, idx, "cos") == LUA_TTABLE)
    rc = read_string(L, "cos", "bucket", d->bucket, sizeof(d->bucket), err,
                     errlen);
  lua_pop(L, 1);
  return rc;
}

int sgw_settings_read(lua_State *L, int idx, sgw_settings_t *s, char *err,
                      size_t errlen) {
  size_t workers = 0;
  int rc;

  memset(s, 0, sizeof(*s));
  strcpy(s->host, "127.0.0.1");
  s->port = 3000;
  s->limits = (sgw_limits_t){.max_url = 8192,
                             .max_header_bytes = 16384,
                             .max_headers = 64,
                             .max_body = 1 << 20,
                             .max_connections = 16384,
                             .header_timeout_ms = 10000,
                             .idle_timeout_ms = 60000,
                             .script_timeout_ms = 1000,
                             .script_memory_mb = 64,
                             .send_timeout_ms = 30000,
                             .shutdown_timeout_ms = 10000};
  s->dev.mode = SGW_DEV_AUTO;
  strcpy(s->dev.host, "127.0.0.1");
  s->dev.port = 3001;
  strcpy(s->dev.data_dir, "signgw-dev-data");
  s->dev.max_size = 100u << 20;
  strcpy(s->dev.bucket, "examplebucket-1250000000");
  idx = lua_absindex(L, idx);
  sgw_settings_field(L, idx, "listen");
  if (lua_type(L, -1) == LUA_TSTRING)
    rc = sgw_settings_listen(s, lua_tostring(L, -1), err, errlen);
  else if (lua_isnil(L, -1))
    rc = 0;
  else {
    snprintf(err, errlen, "config: listen must be a string \"HOST:PORT\"");
    rc = SGW_EINVAL;
  }
  lua_pop(L, 1);
  if (rc < 0)
    return rc;

  lua_pushvalue(L, idx);
  rc = read_uint(L, "config", "workers", 0, 1024, &workers, err, errlen);
  lua_pop(L, 1);
  if (rc < 0)
    return rc;
  s->workers = (int)workers;

  if (sgw_settings_field(L, idx, "limits") == LUA_TTABLE)
    rc = read_limits(L, &s->limits, err, errlen);
  else if (!lua_isnil(L, -1)) {
    snprintf(err, errlen, "config: limits must be a table");
    rc = SGW_EINVAL;
  }
  lua_pop(L, 1);
  if (rc < 0)
    return rc;
  if ((rc = sgw_obs_settings_read(L, idx, &s->obs, err, errlen)) < 0)
    return rc;

  if (sgw_settings_field(L, idx, "dev") == LUA_TTABLE)
    rc = read_dev(L, &s->dev, err, errlen);
  else if (!lua_isnil(L, -1)) {
    snprintf(err, errlen, "config: dev must be a table");
    rc = SGW_EINVAL;
  }
  lua_pop(L, 1);
  if (rc < 0)
    return rc;
  return read_bucket(L, idx, &s->dev, err, errlen);
}
