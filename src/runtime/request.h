/* One HTTP request as the runtime sees it: parsed bytes, the coroutine
 * running its handler, and what it waits for.
 *
 * Ownership: a request is embedded in its connection and reused for every
 * request on it (one at a time; pipelined requests wait their turn). Lua
 * sees it through a `gw.request` userdata that holds a pointer back here;
 * the pointer is cleared when the request ends, so a script that keeps
 * `req` around gets an error instead of another request's data. */
#ifndef SGW_REQUEST_H
#define SGW_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "signgw/buf.h"

struct lua_State;
struct sgw_conn_s;
struct sgw_vm_s;

/* Offsets into `head`, which limits.max_header_bytes keeps far below 4 GiB:
 * 16 bytes a header instead of 32 matters with 10,000 connections. */
typedef struct sgw_hdr_s {
  uint32_t name_off, name_len;
  uint32_t value_off, value_len;
} sgw_hdr_t;

typedef struct sgw_request_s {
  struct sgw_conn_s *conn;
  const char *method;  /* static string from llhttp */
  sgw_buf_t head;      /* raw target and header bytes; offsets point here */
  size_t url_off, url_len;
  size_t path_len;     /* target up to '?' */
  sgw_hdr_t *hdrs;
  unsigned nhdrs, hdr_cap;
  sgw_buf_t body;
  sgw_buf_t scratch;   /* decoding space for accessors, reused */
  char id[20];

  /* Handler state, owned by the runtime (dispatch.c). */
  struct sgw_vm_s *vm;       /* generation that runs this request */
  struct lua_State *co;      /* coroutine; anchored by co_ref */
  int co_ref;
  void **udata;              /* the Lua userdata's pointer slot */
  uv_timer_t timer;          /* gw.sleep */
  int waiting;               /* a primitive yielded and will resume */
  uint64_t budget_ns;        /* Lua run time this request has left */
  int running;               /* a handler is in flight */
} sgw_request_t;

/* The request running on coroutine L, or NULL outside a request. */
sgw_request_t *sgw_request_current(struct lua_State *L);

/* Pushes the `req` userdata for r. */
void sgw_request_push(struct lua_State *L, sgw_request_t *r);
/* Cuts the userdata loose from r (request over). */
void sgw_request_detach(sgw_request_t *r);

/* The value of header `name` (case-insensitive), or NULL. */
const char *sgw_request_header(const sgw_request_t *r, const char *name,
                               size_t name_len, size_t *value_len);

int luaopen_gw_request(struct lua_State *L);

#endif
