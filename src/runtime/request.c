/* The `req` object scripts see: lazy accessors over the parsed bytes.
 * Nothing is copied into Lua until a script asks for it. */
#include "runtime/request.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <strings.h>

#include "server/conn.h"
#include "signgw/url.h"

#define SGW__REQUEST_MT "gw.request"

sgw_request_t *sgw_request_current(lua_State *L) {
  return *(sgw_request_t **)lua_getextraspace(L);
}

void sgw_request_push(lua_State *L, sgw_request_t *r) {
  void **ud = lua_newuserdatauv(L, sizeof(void *), 0);

  *ud = r;
  r->udata = ud;
  luaL_setmetatable(L, SGW__REQUEST_MT);
}

void sgw_request_detach(sgw_request_t *r) {
  if (r->udata != NULL)
    *r->udata = NULL;
  r->udata = NULL;
}

const char *sgw_request_header(const sgw_request_t *r, const char *name,
                               size_t name_len, size_t *value_len) {
  for (unsigned i = 0; i < r->nhdrs; i++) {
    const sgw_hdr_t *h = &r->hdrs[i];
    if (h->name_len == name_len &&
        strncasecmp(r->head.base + h->name_off, name, name_len) == 0) {
      *value_len = h->value_len;
      return r->head.base + h->value_off;
    }
  }
  return NULL;
}

static sgw_request_t *check_req(lua_State *L) {
  sgw_request_t **ud = luaL_checkudata(L, 1, SGW__REQUEST_MT);

  if (*ud == NULL)
    luaL_error(L, "request is finished (req used after its handler ended)");
  return *ud;
}

/* req:query(name): the first value of `name`, decoded; nil if absent or
 * not validly encoded. */
static int req_query(lua_State *L) {
  sgw_request_t *r = check_req(L);
  size_t nlen, klen, vlen;
  const char *name = luaL_checklstring(L, 2, &nlen);
  const char *url = r->head.base + r->url_off, *k, *v;
  sgw_query_iter_t it;
  sgw_buf_t *dec = &r->scratch;
  int has_value;

  lua_pushnil(L); /* absent: an explicit nil, usable as an argument */
  if (r->path_len >= r->url_len)
    return 1;
  sgw_query_init(&it, url + r->path_len + 1, r->url_len - r->path_len - 1);
  while (sgw_query_next(&it, &k, &klen, &v, &vlen, &has_value)) {
    sgw_buf_reset(dec);
    if (sgw_url_decode(dec, k, klen, 1) < 0 || dec->len != nlen ||
        memcmp(dec->base, name, nlen) != 0)
      continue;
    sgw_buf_reset(dec);
    if (sgw_url_decode(dec, v, vlen, 1) < 0)
      break;
    lua_pushlstring(L, dec->base ? dec->base : "", dec->len);
    return 1;
  }
  return 1;
}

static int req_header(lua_State *L) {
  sgw_request_t *r = check_req(L);
  size_t nlen, vlen;
  const char *name = luaL_checklstring(L, 2, &nlen);
  const char *v = sgw_request_header(r, name, nlen, &vlen);

  if (v == NULL)
    lua_pushnil(L);
  else
    lua_pushlstring(L, v, vlen);
  return 1;
}

/* req:headers(): all headers as a table of lower-case name -> value (a
 * repeated header keeps its first value). Built only when asked for. */
static int req_headers(lua_State *L) {
  sgw_request_t *r = check_req(L);

  lua_createtable(L, 0, (int)r->nhdrs);
  for (unsigned i = r->nhdrs; i-- > 0;) {
    const sgw_hdr_t *h = &r->hdrs[i];
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, h->name_len);
    for (size_t j = 0; j < h->name_len; j++) {
      char ch = r->head.base[h->name_off + j];
      p[j] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    luaL_pushresultsize(&b, h->name_len);
    lua_pushlstring(L, r->head.base + h->value_off, h->value_len);
    lua_rawset(L, -3);
  }
  return 1;
}

static int push_remote_addr(lua_State *L, sgw_request_t *r) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  char ip[64] = "";

  if (uv_tcp_getpeername(&r->conn->tcp, (struct sockaddr *)&ss, &len) == 0) {
    if (ss.ss_family == AF_INET6)
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
    else
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
  }
  lua_pushstring(L, ip);
  return 1;
}

/* Fields are computed on access; methods are the C functions. Dispatch
 * on length first: this runs for every req.x in every script. */
static int req_index(lua_State *L) {
  sgw_request_t *r = check_req(L);
  size_t len;
  const char *k = luaL_checklstring(L, 2, &len);
  const char *url = r->head.base + r->url_off;
  int has_q = r->path_len < r->url_len;

#define IS(s) (len == sizeof(s) - 1 && memcmp(k, s, len) == 0)
  if (IS("query"))
    lua_pushcfunction(L, req_query);
  else if (IS("header"))
    lua_pushcfunction(L, req_header);
  else if (IS("method"))
    lua_pushstring(L, r->method);
  else if (IS("path"))
    lua_pushlstring(L, url, r->path_len);
  else if (IS("id"))
    lua_pushstring(L, r->id);
  else if (IS("body"))
    lua_pushlstring(L, r->body.base ? r->body.base : "", r->body.len);
  else if (IS("headers"))
    lua_pushcfunction(L, req_headers);
  else if (IS("query_string"))
    lua_pushlstring(L, url + r->path_len + has_q,
                    r->url_len - r->path_len - (size_t)has_q);
  else if (IS("remote_addr"))
    return push_remote_addr(L, r);
  else
    lua_pushnil(L);
#undef IS
  return 1;
}

static int req_tostring(lua_State *L) {
  sgw_request_t **ud = luaL_checkudata(L, 1, SGW__REQUEST_MT);

  lua_pushfstring(L, "gw.request(%s)", *ud ? (*ud)->id : "finished");
  return 1;
}

int luaopen_gw_request(lua_State *L) {
  static const luaL_Reg meta[] = {{"__index", req_index},
                                  {"__tostring", req_tostring},
                                  {NULL, NULL}};

  luaL_newmetatable(L, SGW__REQUEST_MT);
  luaL_setfuncs(L, meta, 0);
  return 1;
}
