/* gw.ip: IP addresses and CIDR sets for scripts (who is a trusted proxy).
 *
 *   local ip = require "gw.ip"
 *   ip.parse("2001:DB8::1")         --> "2001:db8::1" | nil
 *   local proxies = ip.cidrs("10.0.0.0/8, 192.168.0.1, ::1/128")
 *                                   --> set | nil, message
 *   proxies:contains("10.1.2.3")    --> true | false (false for non-IPs)
 *
 * IPv4 and IPv6; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a dual
 * stack socket reports IPv4 peers) counts as its IPv4 address both ways.
 * Parsing is uv_inet_pton's, which is strict: dotted quads without
 * leading zeros, IPv6 in RFC 4291 text form (a %zone suffix is dropped). */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "lua/gw_lua.h"

#define SGW__CIDRS_MT "gw.ip.cidrs"
#define SGW__MAX_CIDRS 1024
#define SGW__MAX_IP_TEXT 64

typedef struct ip_addr_s {
  int v6;                 /* 0: IPv4 in b[0..3]; 1: IPv6 in b[0..15] */
  unsigned char b[16];
} ip_addr_t;

typedef struct cidr_s {
  ip_addr_t net;
  int bits;
} cidr_t;

typedef struct cidrs_s {
  size_t n;
  cidr_t c[];
} cidrs_t;

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0xff, 0xff};

/* Parses an address (len bytes, not NUL-terminated); 0 or -1. */
static int ip_parse(const char *s, size_t len, ip_addr_t *a) {
  char text[SGW__MAX_IP_TEXT];

  if (len == 0 || len >= sizeof(text) || memchr(s, '\0', len) != NULL)
    return -1;
  memcpy(text, s, len);
  text[len] = '\0';
  memset(a, 0, sizeof(*a));
  if (uv_inet_pton(AF_INET, text, a->b) == 0)
    return 0;
  if (uv_inet_pton(AF_INET6, text, a->b) != 0)
    return -1;
  if (memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0) {
    memmove(a->b, a->b + 12, 4); /* ::ffff:a.b.c.d is a.b.c.d */
    memset(a->b + 4, 0, 12);
    return 0;
  }
  a->v6 = 1;
  return 0;
}

static int prefix_equal(const unsigned char *net, const unsigned char *b,
                        int bits) {
  int full = bits / 8, rest = bits % 8;
  unsigned char mask;

  if (memcmp(net, b, (size_t)full) != 0)
    return 0;
  if (rest == 0)
    return 1;
  mask = (unsigned char)(0xff << (8 - rest));
  return (net[full] & mask) == (b[full] & mask);
}

static int cidr_contains(const cidr_t *c, const ip_addr_t *a) {
  unsigned char mapped[16];

  if (c->net.v6 == a->v6)
    return prefix_equal(c->net.b, a->b, c->bits);
  if (a->v6)
    return 0; /* an IPv6 address is in no IPv4 network */
  /* An IPv6 network spanning ::ffff:0:0/96 holds the IPv4 addresses, as
   * their mapped form. */
  memcpy(mapped, v4_mapped, sizeof(v4_mapped));
  memcpy(mapped + 12, a->b, 4);
  return prefix_equal(c->net.b, mapped, c->bits);
}

/* "a.b.c.d/n", "x::y/n" or a bare address (all its bits). The host bits
 * of the network must be zero: "10.0.0.1/8" is most likely a typo. */
static int cidr_parse(const char *s, size_t len, cidr_t *c, char *err,
                      size_t errlen) {
  const char *slash = memchr(s, '/', len);
  size_t alen = slash ? (size_t)(slash - s) : len;
  int max, bits;

  if (ip_parse(s, alen, &c->net) < 0) {
    snprintf(err, errlen, "'%.*s' is not an IP address", (int)alen, s);
    return -1;
  }
  max = c->net.v6 ? 128 : 32;
  bits = max;
  if (slash != NULL) {
    const char *p = slash + 1, *end = s + len;
    if (p == end || end - p > 3) {
      snprintf(err, errlen, "'%.*s': bad prefix length", (int)len, s);
      return -1;
    }
    bits = 0;
    for (; p < end; p++) {
      if (*p < '0' || *p > '9') {
        snprintf(err, errlen, "'%.*s': bad prefix length", (int)len, s);
        return -1;
      }
      bits = bits * 10 + (*p - '0');
    }
    /* An IPv4-mapped network's prefix counts the 96 mapped bits. */
    if (alen > 7 && memchr(s, ':', alen) != NULL && !c->net.v6)
      bits -= 96;
    if (bits < 0 || bits > max) {
      snprintf(err, errlen, "'%.*s': prefix length must be 0 to %d",
               (int)len, s, max);
      return -1;
    }
  }
  c->bits = bits;
  for (int i = bits; i < max; i++)
    if (c->net.b[i / 8] & (0x80 >> (i % 8))) {
      snprintf(err, errlen, "'%.*s': bits set after the prefix (did you "
               "mean the network address?)", (int)len, s);
      return -1;
    }
  return 0;
}

/* Calls fn for each entry of a comma/space separated string or a list of
 * such strings at idx; stops at the first failure. */
typedef int (*each_cb)(const char *s, size_t len, void *data);

static int each_entry(lua_State *L, int idx, each_cb fn, void *data) {
  lua_Integer n = 1;

  if (lua_type(L, idx) == LUA_TTABLE)
    n = (lua_Integer)lua_rawlen(L, idx);
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len;
    const char *s, *end;
    if (lua_type(L, idx) == LUA_TTABLE) {
      if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
        luaL_error(L, "gw.ip.cidrs: entry %d is not a string", (int)i);
      s = lua_tolstring(L, -1, &len);
      lua_pop(L, 1); /* still held by the table */
    } else {
      s = luaL_checklstring(L, idx, &len);
    }
    end = s + len;
    while (s < end) {
      size_t k;
      while (s < end && (*s == ',' || *s == ' ' || *s == '\t'))
        s++;
      for (k = 0; s + k < end && s[k] != ',' && s[k] != ' ' && s[k] != '\t';
           k++)
        ;
      if (k > 0 && fn(s, k, data) < 0)
        return -1;
      s += k;
    }
  }
  return 0;
}

typedef struct build_s {
  cidrs_t *set; /* NULL while counting */
  size_t n;
  char err[160];
} build_t;

static int build_one(const char *s, size_t len, void *data) {
  build_t *b = data;
  cidr_t c;

  if (cidr_parse(s, len, &c, b->err, sizeof(b->err)) < 0)
    return -1;
  if (b->n >= SGW__MAX_CIDRS) {
    snprintf(b->err, sizeof(b->err), "more than %d entries", SGW__MAX_CIDRS);
    return -1;
  }
  if (b->set != NULL)
    b->set->c[b->n] = c;
  b->n++;
  return 0;
}

/* ip.cidrs("a/n, b, ...") or ip.cidrs{ "a/n", ... } -> set | nil, message */
static int l_cidrs(lua_State *L) {
  build_t b = {0};

  if (lua_type(L, 1) != LUA_TTABLE)
    luaL_checkstring(L, 1);
  if (each_entry(L, 1, build_one, &b) < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "gw.ip.cidrs: %s", b.err);
    return 2;
  }
  b.set = lua_newuserdatauv(L, sizeof(cidrs_t) + b.n * sizeof(cidr_t), 0);
  b.set->n = b.n;
  b.n = 0;
  each_entry(L, 1, build_one, &b);
  luaL_setmetatable(L, SGW__CIDRS_MT);
  return 1;
}

/* set:contains(addr) -> boolean */
static int l_contains(lua_State *L) {
  const cidrs_t *set = luaL_checkudata(L, 1, SGW__CIDRS_MT);
  size_t len;
  const char *s = luaL_optlstring(L, 2, "", &len);
  ip_addr_t a;
  int in = 0;

  if (ip_parse(s, len, &a) == 0)
    for (size_t i = 0; i < set->n && !in; i++)
      in = cidr_contains(&set->c[i], &a);
  lua_pushboolean(L, in);
  return 1;
}

static int l_len(lua_State *L) {
  const cidrs_t *set = luaL_checkudata(L, 1, SGW__CIDRS_MT);

  lua_pushinteger(L, (lua_Integer)set->n);
  return 1;
}

/* ip.parse(text) -> the address in its usual form | nil */
static int l_parse(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char out[SGW__MAX_IP_TEXT];
  ip_addr_t a;

  if (ip_parse(s, len, &a) < 0 ||
      uv_inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.b, out, sizeof(out)) != 0)
    return 0;
  lua_pushstring(L, out);
  return 1;
}

int luaopen_gw_ip(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"parse", l_parse}, {"cidrs", l_cidrs}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"contains", l_contains}, {NULL, NULL}};

  if (luaL_newmetatable(L, SGW__CIDRS_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_len);
    lua_setfield(L, -2, "__len");
    lua_pushliteral(L, SGW__CIDRS_MT);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
