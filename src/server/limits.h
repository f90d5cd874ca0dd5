/* The bounds the server puts on every client. They come from the config
 * (runtime/settings.c reads them) and may change with each generation. */
#ifndef SGW_LIMITS_H
#define SGW_LIMITS_H

#include <stddef.h>

typedef struct sgw_limits_s {
  size_t max_url;           /* request target bytes: 414 beyond */
  size_t max_header_bytes;  /* request line + headers: 431 beyond */
  unsigned max_headers;     /* header count: 431 beyond */
  size_t max_body;          /* body bytes, also chunked: 413 beyond */
  unsigned max_connections; /* per worker; more are closed at accept */
  unsigned header_timeout_ms; /* first byte to end of headers */
  unsigned idle_timeout_ms;   /* keep-alive wait for the next request */
  unsigned send_timeout_ms;   /* a client that does not read its answer */
  unsigned shutdown_timeout_ms; /* SIGTERM: time left to in-flight requests */
  unsigned script_timeout_ms; /* Lua run time per request (waits excluded) */
  unsigned script_memory_mb;  /* cap on one Lua VM's memory */
} sgw_limits_t;

#endif
