/* gw.crypto: hashes, MACs, encodings and randomness for scripts.
 * Digests and MACs return raw bytes; gw.crypto.hex makes them text. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>

#include "lua/gw_lua.h"
#include "signgw/crypto.h"

#define SGW__MAX_RANDOM 4096

typedef int (*digest_fn)(const void *, size_t, unsigned char *);
typedef int (*mac_fn)(const void *, size_t, const void *, size_t,
                      unsigned char *);

static int push_digest(lua_State *L, digest_fn fn, size_t mdlen) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  unsigned char md[SGW_SHA256_LEN];

  if (fn(s, len, md) < 0)
    return luaL_error(L, "digest failed");
  lua_pushlstring(L, (const char *)md, mdlen);
  return 1;
}

static int push_mac(lua_State *L, mac_fn fn, size_t mdlen) {
  size_t klen, len;
  const char *k = luaL_checklstring(L, 1, &klen);
  const char *s = luaL_checklstring(L, 2, &len);
  unsigned char md[SGW_SHA256_LEN];

  if (fn(k, klen, s, len, md) < 0)
    return luaL_error(L, "hmac failed");
  lua_pushlstring(L, (const char *)md, mdlen);
  return 1;
}

static int l_sha1(lua_State *L) {
  return push_digest(L, sgw_sha1, SGW_SHA1_LEN);
}
static int l_sha256(lua_State *L) {
  return push_digest(L, sgw_sha256, SGW_SHA256_LEN);
}
static int l_hmac_sha1(lua_State *L) {
  return push_mac(L, sgw_hmac_sha1, SGW_SHA1_LEN);
}
static int l_hmac_sha256(lua_State *L) {
  return push_mac(L, sgw_hmac_sha256, SGW_SHA256_LEN);
}

static int l_hex(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, len * 2 + 1);

  sgw_hex_encode((const unsigned char *)s, len, out);
  luaL_pushresultsize(&b, len * 2);
  return 1;
}

static int push_base64(lua_State *L, int url) {
  size_t len, olen;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, SGW_BASE64_LEN(len) + 1);

  sgw_base64_encode((const unsigned char *)s, len, out, &olen, url);
  luaL_pushresultsize(&b, olen);
  return 1;
}

static int l_base64(lua_State *L) { return push_base64(L, 0); }
static int l_base64url(lua_State *L) { return push_base64(L, 1); }

/* unbase64(s [, url]) -> bytes, or nil, message. */
static int l_unbase64(lua_State *L) {
  size_t len, olen;
  const char *s = luaL_checklstring(L, 1, &len);
  int url = lua_toboolean(L, 2);
  luaL_Buffer b;
  unsigned char *out =
      (unsigned char *)luaL_buffinitsize(L, &b, len * 3 / 4 + 3);

  if (sgw_base64_decode(s, len, out, &olen, url) < 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "invalid base64");
    return 2;
  }
  luaL_pushresultsize(&b, olen);
  return 1;
}

static size_t check_random_len(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);

  luaL_argcheck(L, n > 0 && n <= SGW__MAX_RANDOM, 1, "must be 1 to 4096");
  return (size_t)n;
}

static int l_random_bytes(lua_State *L) {
  size_t n = check_random_len(L);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, n);

  if (sgw_random_bytes(out, n) < 0)
    return luaL_error(L, "the random generator failed");
  luaL_pushresultsize(&b, n);
  return 1;
}

/* random_hex(n): n random bytes as 2n hex characters. */
static int l_random_hex(lua_State *L) {
  size_t n = check_random_len(L);
  unsigned char raw[SGW__MAX_RANDOM];
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, n * 2 + 1);

  if (sgw_random_bytes(raw, n) < 0)
    return luaL_error(L, "the random generator failed");
  sgw_hex_encode(raw, n, out);
  luaL_pushresultsize(&b, n * 2);
  return 1;
}

/* equal(a, b): constant-time for equal lengths (lengths are not secret). */
static int l_equal(lua_State *L) {
  size_t alen, blen;
  const char *a = luaL_checklstring(L, 1, &alen);
  const char *b = luaL_checklstring(L, 2, &blen);

  lua_pushboolean(L, alen == blen && sgw_equal(a, b, alen));
  return 1;
}

int luaopen_gw_crypto(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"sha1", l_sha1},           {"sha256", l_sha256},
      {"hmac_sha1", l_hmac_sha1}, {"hmac_sha256", l_hmac_sha256},
      {"hex", l_hex},             {"base64", l_base64},
      {"base64url", l_base64url}, {"unbase64", l_unbase64},
      {"random_bytes", l_random_bytes}, {"random_hex", l_random_hex},
      {"equal", l_equal},         {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
