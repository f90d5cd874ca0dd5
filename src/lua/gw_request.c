/* The `req` object scripts see: lazy accessors over the server's parsed
 * request. Nothing is copied into Lua until a script asks for it.
 *
 * The userdata points at the task, not at the request: when the task
 * ends the pointer is cleared, so a script that keeps `req` around gets
 * an error instead of another request's data. */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <strings.h>

#include "lua/gw_lua.h"
#include "runtime/task.h"
#include "server/http.h"
#include "signgw/url.h"

#define SGW__REQUEST_MT "gw.request"

void sgw_lua_push_request(lua_State *L, sgw_task_t *t) {
  void **ud = lua_newuserdatauv(L, sizeof(void *), 0);

  *ud = t;
  t->udata = ud;
  luaL_setmetatable(L, SGW__REQUEST_MT);
}

static sgw_http_req_t *check_req(lua_State *L) {
  sgw_task_t **ud = luaL_checkudata(L, 1, SGW__REQUEST_MT);

  if (*ud == NULL || (*ud)->req == NULL)
    luaL_error(L, "request is finished (req used after its handler ended)");
  return (*ud)->req;
}

/* req:query(name): the first value of `name`, decoded; nil if absent or
 * not validly encoded. */
static int req_query(lua_State *L) {
  sgw_http_req_t *r = check_req(L);
  size_t nlen, klen, vlen, qlen;
  const char *name = luaL_checklstring(L, 2, &nlen);
  const char *q = sgw_http_req_query(r, &qlen), *k, *v;
  sgw_buf_t *dec = sgw_http_req_scratch(r);
  sgw_query_iter_t it;
  int has_value;

  lua_pushnil(L); /* absent: an explicit nil, usable as an argument */
  sgw_query_init(&it, q, qlen);
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

/* req:header(name [, all]): the first value of the header, or with
 * `all` every line of it joined by ", " (RFC 9110 5.3: the same field in
 * several lines is one comma-separated list; X-Forwarded-For must be read
 * whole, or a client's own line would hide the proxy's); nil if absent. */
static int req_header(lua_State *L) {
  sgw_http_req_t *r = check_req(L);
  size_t nlen, vlen;
  const char *name = luaL_checklstring(L, 2, &nlen);
  const char *v = sgw_http_req_header(r, name, nlen, &vlen);
  unsigned n = sgw_http_req_nheaders(r), found = 0;
  luaL_Buffer b;

  if (v == NULL || !lua_toboolean(L, 3)) {
    if (v == NULL)
      lua_pushnil(L);
    else
      lua_pushlstring(L, v, vlen);
    return 1;
  }
  luaL_buffinit(L, &b);
  for (unsigned i = 0; i < n; i++) {
    const char *hn;
    size_t hl;
    sgw_http_req_header_at(r, i, &hn, &hl, &v, &vlen);
    if (hl != nlen || strncasecmp(hn, name, nlen) != 0)
      continue;
    if (found++ > 0)
      luaL_addlstring(&b, ", ", 2);
    luaL_addlstring(&b, v, vlen);
  }
  luaL_pushresult(&b);
  return 1;
}

/* req:headers(): all headers as a table of lower-case name -> value (a
 * repeated header keeps its first value). Built only when asked for. */
static int req_headers(lua_State *L) {
  sgw_http_req_t *r = check_req(L);
  unsigned n = sgw_http_req_nheaders(r);

  lua_createtable(L, 0, (int)n);
  for (unsigned i = n; i-- > 0;) {
    const char *name, *value;
    size_t nl, vl;
    luaL_Buffer b;
    char *p;
    sgw_http_req_header_at(r, i, &name, &nl, &value, &vl);
    p = luaL_buffinitsize(L, &b, nl);
    for (size_t j = 0; j < nl; j++)
      p[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32 : name[j]);
    luaL_pushresultsize(&b, nl);
    lua_pushlstring(L, value, vl);
    lua_rawset(L, -3);
  }
  return 1;
}

/* Fields are computed on access; methods are the C functions. Dispatch
 * on length first: this runs for every req.x in every script. */
static int req_index(lua_State *L) {
  sgw_http_req_t *r = check_req(L);
  size_t len, n;
  const char *k = luaL_checklstring(L, 2, &len), *s;
  char ip[64];

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)
  if (IS("query"))
    lua_pushcfunction(L, req_query);
  else if (IS("header"))
    lua_pushcfunction(L, req_header);
  else if (IS("method"))
    lua_pushstring(L, sgw_http_req_method(r));
  else if (IS("path")) {
    s = sgw_http_req_path(r, &n);
    lua_pushlstring(L, s, n);
  } else if (IS("id"))
    lua_pushstring(L, sgw_http_req_id(r));
  else if (IS("body")) {
    s = sgw_http_req_body(r, &n);
    lua_pushlstring(L, s, n);
  } else if (IS("headers"))
    lua_pushcfunction(L, req_headers);
  else if (IS("query_string")) {
    s = sgw_http_req_query(r, &n);
    lua_pushlstring(L, s, n);
  } else if (IS("remote_addr")) {
    sgw_http_req_peer(r, ip, sizeof(ip));
    lua_pushstring(L, ip);
  } else
    lua_pushnil(L);
#undef IS
  return 1;
}

static int req_tostring(lua_State *L) {
  sgw_task_t **ud = luaL_checkudata(L, 1, SGW__REQUEST_MT);

  if (*ud != NULL && (*ud)->req != NULL)
    lua_pushfstring(L, "gw.request(%s)", sgw_http_req_id((*ud)->req));
  else
    lua_pushliteral(L, "gw.request(finished)");
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
