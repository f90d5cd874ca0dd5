#include "runtime/obs_settings.h"

#include <arpa/inet.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/settings.h"
#include "signgw/error.h"

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};

void sgw_obs_settings_default(sgw_obs_settings_t *s) {
  memset(s, 0, sizeof(*s));
  s->metrics = 1;
  sgw_cidr_parse("127.0.0.0/8", &s->allow[0]);
  sgw_cidr_parse("::1/128", &s->allow[1]);
  s->nallow = 2;
  strcpy(s->access_log, "off");
}

/* An address into 4 or 16 bytes; an IPv4-mapped IPv6 one becomes IPv4. */
static int addr_parse(const char *text, unsigned char *addr, int *v6) {
  unsigned char a6[16];

  if (inet_pton(AF_INET, text, addr) == 1) {
    *v6 = 0;
    return 0;
  }
  if (inet_pton(AF_INET6, text, a6) != 1)
    return SGW_EINVAL;
  if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0) {
    memcpy(addr, a6 + 12, 4);
    *v6 = 0;
    return 0;
  }
  memcpy(addr, a6, 16);
  *v6 = 1;
  return 0;
}

int sgw_cidr_parse(const char *text, sgw_cidr_t *out) {
  char host[64];
  const char *slash = strchr(text, '/');
  size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
  long bits;
  char *end;
  int v6;

  memset(out, 0, sizeof(*out));
  if (hlen == 0 || hlen >= sizeof(host))
    return SGW_EINVAL;
  memcpy(host, text, hlen);
  host[hlen] = '\0';
  /* A mapped IPv6 block would turn into IPv4 with the wrong prefix. */
  if (strchr(host, ':') != NULL && strchr(host, '.') != NULL)
    return SGW_EINVAL;
  if (addr_parse(host, out->addr, &v6) < 0)
    return SGW_EINVAL;
  out->v6 = (unsigned char)v6;
  bits = v6 ? 128 : 32;
  if (slash != NULL) {
    long max = bits;
    if (slash[1] < '0' || slash[1] > '9')
      return SGW_EINVAL;
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' || bits < 0 || bits > max)
      return SGW_EINVAL;
  }
  out->bits = (unsigned char)bits;
  /* Host bits set ("10.1.2.3/8") are cleared: the block is what counts. */
  for (unsigned i = 0; i < (v6 ? 16u : 4u); i++) {
    unsigned keep = out->bits > i * 8 ? out->bits - i * 8 : 0;
    if (keep < 8)
      out->addr[i] &= (unsigned char)(0xff00u >> keep);
  }
  return 0;
}

static int cidr_contains(const sgw_cidr_t *b, const unsigned char *a) {
  unsigned full = b->bits / 8, rest = b->bits % 8;

  if (memcmp(b->addr, a, full) != 0)
    return 0;
  return rest == 0 ||
         (a[full] & (unsigned char)(0xff00u >> rest)) == b->addr[full];
}

int sgw_cidr_match(const sgw_cidr_t *blocks, unsigned n, const char *addr) {
  unsigned char a[16];
  int v6;

  if (addr_parse(addr, a, &v6) < 0)
    return 0;
  for (unsigned i = 0; i < n; i++)
    if (blocks[i].v6 == v6 && cidr_contains(&blocks[i], a))
      return 1;
  return 0;
}

/* metrics = false | { allow = { ... } } (the table on top). */
static int read_metrics(lua_State *L, sgw_obs_settings_t *s, char *err,
                        size_t errlen) {
  int t = lua_type(L, -1), n;

  if (t == LUA_TNIL)
    return 0;
  if (t == LUA_TBOOLEAN) {
    s->metrics = lua_toboolean(L, -1);
    return 0;
  }
  if (t != LUA_TTABLE) {
    snprintf(err, errlen, "config: metrics must be a table "
             "{ allow = { \"CIDR\", ... } } or false");
    return SGW_EINVAL;
  }
  t = sgw_settings_field(L, -1, "allow");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != LUA_TTABLE) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: metrics.allow must be a list of CIDR "
             "blocks such as \"10.0.0.0/8\"");
    return SGW_EINVAL;
  }
  n = (int)lua_rawlen(L, -1);
  if (n > SGW_OBS_MAX_ALLOW) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: metrics.allow holds at most %d blocks",
             SGW_OBS_MAX_ALLOW);
    return SGW_EINVAL;
  }
  s->nallow = 0;
  for (int i = 1; i <= n; i++) {
    const char *text = lua_rawgeti(L, -1, i) == LUA_TSTRING
                           ? lua_tostring(L, -1)
                           : NULL;
    if (text == NULL || sgw_cidr_parse(text, &s->allow[s->nallow]) < 0) {
      snprintf(err, errlen, "config: metrics.allow[%d] must be an address "
               "or CIDR block such as \"10.0.0.0/8\" or \"::1\"", i);
      lua_pop(L, 2);
      return SGW_EINVAL;
    }
    s->nallow++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

static int read_access_log(lua_State *L, sgw_obs_settings_t *s, char *err,
                           size_t errlen) {
  size_t len;
  const char *v;

  if (lua_isnil(L, -1))
    return 0;
  if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
    strcpy(s->access_log, "off");
    return 0;
  }
  v = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
  if (v == NULL || len == 0 || len >= sizeof(s->access_log) ||
      strlen(v) != len) {
    snprintf(err, errlen, "config: access_log must be \"-\" (stdout), "
             "\"off\" or a file path (under %d bytes)", SGW_OBS_MAX_PATH);
    return SGW_EINVAL;
  }
  memcpy(s->access_log, v, len + 1);
  return 0;
}

static int read_health(lua_State *L, sgw_obs_settings_t *s, char *err,
                       size_t errlen) {
  int isnum, t;
  lua_Integer v;

  if (lua_isnil(L, -1))
    return 0;
  if (!lua_istable(L, -1)) {
    snprintf(err, errlen, "config: health must be a table "
             "{ drain_delay_ms = N }");
    return SGW_EINVAL;
  }
  t = sgw_settings_field(L, -1, "drain_delay_ms");
  v = lua_tointegerx(L, -1, &isnum);
  /* A number, not a string that looks like one. */
  if (t != LUA_TNIL && (t != LUA_TNUMBER || !isnum || v < 0 || v > 3600000)) {
    lua_pop(L, 1);
    snprintf(err, errlen, "config: health.drain_delay_ms must be an "
             "integer from 0 to 3600000");
    return SGW_EINVAL;
  }
  if (t == LUA_TNUMBER)
    s->drain_delay_ms = (unsigned)v;
  lua_pop(L, 1);
  return 0;
}

int sgw_obs_settings_read(lua_State *L, int cfg, sgw_obs_settings_t *s,
                          char *err, size_t errlen) {
  int rc;

  sgw_obs_settings_default(s);
  /* Through sgw_settings_field: a "strict" config table that raises for
   * absent keys means they are absent. */
  cfg = lua_absindex(L, cfg);
  sgw_settings_field(L, cfg, "metrics");
  rc = read_metrics(L, s, err, errlen);
  lua_pop(L, 1);
  if (rc == 0) {
    sgw_settings_field(L, cfg, "access_log");
    rc = read_access_log(L, s, err, errlen);
    lua_pop(L, 1);
  }
  if (rc == 0) {
    sgw_settings_field(L, cfg, "health");
    rc = read_health(L, s, err, errlen);
    lua_pop(L, 1);
  }
  return rc;
}
