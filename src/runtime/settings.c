#include "runtime/settings.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"

/* SGW_TLS_CERT and SGW_TLS_KEY: both or neither. */
static int tls_env(const char **cert, const char **key, char *err,
                   size_t errlen) {
  *cert = getenv("SGW_TLS_CERT");
  *key = getenv("SGW_TLS_KEY");
  if (*cert != NULL && **cert == '\0')
    *cert = NULL;
  if (*key != NULL && **key == '\0')
    *key = NULL;
  if ((*cert == NULL) != (*key == NULL)) {
    snprintf(err, errlen, "SGW_TLS_CERT and SGW_TLS_KEY go together: set "
             "both or neither");
    return SGW_EINVAL;
  }
  return 0;
}

static int set_tls(sgw_listen_spec_t *l, const char *cert, const char *key,
                   const char *what, char *err, size_t errlen) {
  if (strlen(cert) >= sizeof(l->cert) || strlen(key) >= sizeof(l->key) ||
      *cert == '\0' || *key == '\0') {
    snprintf(err, errlen, "%s: a certificate or key path is empty or "
             "longer than %d bytes", what, SGW_LISTEN_PATH_MAX - 1);
    return SGW_EINVAL;
  }
  l->tls = 1;
  strcpy(l->cert, cert);
  strcpy(l->key, key);
  return 0;
}

int sgw_settings_listen(sgw_settings_t *s, const char *listen, char *err,
                        size_t errlen) {
  sgw_listen_spec_t l;
  const char *cert, *key;
  int rc;

  memset(&l, 0, sizeof(l));
  if ((rc = sgw_listen_parse(&l, listen, err, errlen)) < 0 ||
      (rc = tls_env(&cert, &key, err, errlen)) < 0 ||
      (cert && (rc = set_tls(&l, cert, key, "SGW_TLS_CERT/SGW_TLS_KEY", err,
                             errlen)) < 0))
    return rc;
  s->listen[0] = l;
  s->nlisten = 1;
  return 0;
}

int sgw_settings_same_listen(const sgw_settings_t *a,
                             const sgw_settings_t *b) {
  if (a->nlisten != b->nlisten)
    return 0;
  for (int i = 0; i < a->nlisten; i++)
    if (strcmp(a->listen[i].host, b->listen[i].host) != 0 ||
        a->listen[i].port != b->listen[i].port ||
        a->listen[i].tls != b->listen[i].tls)
      return 0;
  return 1;
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

/* Names the keys of the table on top that `known` (NULL-terminated)
 * lacks: a misspelt `tls` must not quietly serve plain HTTP. */
static int only_keys(lua_State *L, const char *const *known,
                     const char *what, char *err, size_t errlen) {
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    int ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (const char *const *k = known; *k && !ok; k++)
        ok = strcmp(lua_tostring(L, -1), *k) == 0;
    if (!ok) {
      snprintf(err, errlen, "config: %s has no field %s%s%s", what,
               lua_type(L, -1) == LUA_TSTRING ? "'" : "",
               lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                              : luaL_typename(L, -1),
               lua_type(L, -1) == LUA_TSTRING ? "'" : "");
      lua_pop(L, 1);
      return SGW_EINVAL;
    }
  }
  return 0;
}

/* The string field `name` of the table on top, or NULL (absent: *type
 * is LUA_TNIL). The string stays valid while the table is on the stack. */
static const char *str_field(lua_State *L, const char *name, int *type) {
  const char *v;

  *type = lua_getfield(L, -1, name);
  v = *type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return v;
}

/* The tls field of an entry (on top): false or nil (plain), true
 * (SGW_TLS_CERT/SGW_TLS_KEY), or { cert = PATH, key = PATH }. */
static int read_listen_tls(lua_State *L, const char *what,
                           sgw_listen_spec_t *l, char *err, size_t errlen) {
  static const char *const tls_keys[] = {"cert", "key", NULL};
  const char *cert, *key;
  char tls_what[96];
  int tc, tk, rc;

  switch (lua_type(L, -1)) {
  case LUA_TNIL:
    return 0;
  case LUA_TBOOLEAN:
    if (!lua_toboolean(L, -1))
      return 0;
    if ((rc = tls_env(&cert, &key, err, errlen)) < 0)
      return rc;
    if (cert == NULL) {
      snprintf(err, errlen, "config: %s.tls = true takes the certificate "
               "from SGW_TLS_CERT and SGW_TLS_KEY, which are not set", what);
      return SGW_EINVAL;
    }
    return set_tls(l, cert, key, what, err, errlen);
  case LUA_TTABLE:
    snprintf(tls_what, sizeof(tls_what), "%s.tls", what);
    if ((rc = only_keys(L, tls_keys, tls_what, err, errlen)) < 0)
      return rc;
    cert = str_field(L, "cert", &tc);
    key = str_field(L, "key", &tk);
    if (cert == NULL || key == NULL) {
      snprintf(err, errlen, "config: %s.tls needs cert and key (paths to "
               "PEM files)", what);
      return SGW_EINVAL;
    }
    return set_tls(l, cert, key, what, err, errlen);
  default:
    snprintf(err, errlen, "config: %s.tls must be { cert = PATH, key = PATH "
             "}, true or false", what);
    return SGW_EINVAL;
  }
}

/* One entry (on top): "HOST:PORT" or { addr = "HOST:PORT", tls = ... }.
 * *mentioned is set when it gives tls. */
static int read_listen_entry(lua_State *L, const char *what,
                             sgw_listen_spec_t *l, int *mentioned, char *err,
                             size_t errlen) {
  static const char *const entry_keys[] = {"addr", "tls", NULL};
  const char *addr;
  char msg[SGW_ERR_MAX];
  int t, rc;

  memset(l, 0, sizeof(*l));
  if (lua_type(L, -1) == LUA_TSTRING) {
    addr = lua_tostring(L, -1);
  } else if (lua_type(L, -1) == LUA_TTABLE) {
    if ((rc = only_keys(L, entry_keys, what, err, errlen)) < 0)
      return rc;
    if ((addr = str_field(L, "addr", &t)) == NULL) {
      snprintf(err, errlen, "config: %s.addr must be a string \"HOST:PORT\"",
               what);
      return SGW_EINVAL;
    }
  } else {
    snprintf(err, errlen, "config: %s must be \"HOST:PORT\" or { addr = "
             "\"HOST:PORT\", tls = { cert = PATH, key = PATH } }", what);
    return SGW_EINVAL;
  }
  if (sgw_listen_parse(l, addr, msg, sizeof(msg)) < 0) {
    snprintf(err, errlen, "config: %s: %s", what, msg);
    return SGW_EINVAL;
  }
  if (lua_type(L, -1) != LUA_TTABLE)
    return 0;
  *mentioned |= lua_getfield(L, -1, "tls") != LUA_TNIL;
  rc = read_listen_tls(L, what, l, err, errlen);
  lua_pop(L, 1);
  return rc;
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

/* listen (on top): nil (127.0.0.1:3000), one entry, or a list of them.
 * Where no entry says anything about TLS, SGW_TLS_CERT and SGW_TLS_KEY
 * (when set) make every one of them TLS. */
static int read_listen(lua_State *L, sgw_settings_t *s, char *err,
                       size_t errlen) {
  const char *cert, *key;
  char what[32];
  int mentioned = 0, list, n, rc, t;

  if (lua_isnil(L, -1)) {
    s->nlisten = 1;
    strcpy(s->listen[0].host, "127.0.0.1");
    s->listen[0].port = 3000;
  } else {
    list = lua_type(L, -1) == LUA_TTABLE &&
           (str_field(L, "addr", &t), t == LUA_TNIL);
    n = list ? (int)lua_rawlen(L, -1) : 1;
    if (n < 1 || n > SGW_LISTEN_MAX) {
      snprintf(err, errlen, "config: listen must have 1 to %d entries",
               SGW_LISTEN_MAX);
      return SGW_EINVAL;
    }
    if (list) {
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
            lua_tointeger(L, -1) > n) {
          lua_pop(L, 1);
          snprintf(err, errlen, "config: listen is a list of entries "
                   "(a table with addr is one entry)");
          return SGW_EINVAL;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (list) {
        snprintf(what, sizeof(what), "listen[%d]", i + 1);
        lua_rawgeti(L, -1, i + 1);
      } else {
        snprintf(what, sizeof(what), "listen");
        lua_pushvalue(L, -1);
      }
      rc = read_listen_entry(L, what, &s->listen[i], &mentioned, err, errlen);
      lua_pop(L, 1);
      if (rc < 0)
        return rc;
      for (int j = 0; j < i; j++)
        if (s->listen[i].port != 0 && s->listen[i].port == s->listen[j].port &&
            strcmp(s->listen[i].host, s->listen[j].host) == 0) {
          snprintf(err, errlen, "config: %s: %s:%d is listed twice", what,
                   s->listen[i].host, s->listen[i].port);
          return SGW_EINVAL;
        }
    }
    s->nlisten = n;
  }
  if ((rc = tls_env(&cert, &key, err, errlen)) < 0)
    return rc;
  for (int i = 0; cert != NULL && !mentioned && i < s->nlisten; i++)
    if ((rc = set_tls(&s->listen[i], cert, key, "SGW_TLS_CERT/SGW_TLS_KEY",
                      err, errlen)) < 0)
      return rc;
  return 0;
}

static int loopback(const char *host) {
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* config.dev, the table on top, and the bucket name (cos.bucket). */
static int read_dev(lua_State *L, sgw_dev_settings_t *d, char *err,
                    size_t errlen) {
  sgw_listen_spec_t tmp;
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
    if (sgw_listen_parse(&tmp, listen, err, errlen) < 0) {
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
  rc = read_listen(L, s, err, errlen);
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
