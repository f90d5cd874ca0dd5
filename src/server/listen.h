/* Listening sockets. Each worker binds its own socket to the same address
 * with SO_REUSEPORT so the kernel spreads connections across workers.
 *
 * A port some process already serves is refused, even when that process
 * set SO_REUSEPORT too: a second signgw started by mistake must not share
 * the traffic of the first. Sharing is only done when asked for
 * (SGW_LISTEN_SHARE: a new signgw taking over from one that drains). */
#ifndef SGW_LISTEN_H
#define SGW_LISTEN_H

#include <stddef.h>

#define SGW_LISTEN_MAX 8         /* listen entries in one config */
#define SGW_LISTEN_PATH_MAX 1024 /* a certificate or key path */

/* One `listen` entry: an address, and the certificate when it serves
 * TLS. Plain data, copied by value with the settings. */
typedef struct sgw_listen_spec_s {
  char host[64];
  int port;                      /* 0: the kernel picks one */
  int tls;                       /* 1: TLS with cert and key below */
  char cert[SGW_LISTEN_PATH_MAX]; /* PEM: the certificate, then its chain */
  char key[SGW_LISTEN_PATH_MAX];  /* PEM: its private key, unencrypted */
} sgw_listen_spec_t;

enum {
  SGW_LISTEN_SHARE = 1 /* join a port already served (SO_REUSEPORT) */
};

/* Parses "HOST:PORT" or "[V6]:PORT" into l->host and l->port. Returns 0,
 * or SGW_EINVAL with a message in err. */
int sgw_listen_parse(sgw_listen_spec_t *l, const char *addr, char *err,
                     size_t errlen);

/* "127.0.0.1:3000" or "[::1]:3000" into buf. */
void sgw_listen_name(const char *host, int port, char *buf, size_t size);

/* Binds and listens on host:port. When port is 0 the kernel picks one and
 * *bound_port receives it, so further workers can bind the same port.
 * The first socket (port != *bound_port) fails with UV_EADDRINUSE when
 * the port is already served, even by a SO_REUSEPORT socket, unless
 * flags has SGW_LISTEN_SHARE.
 * Returns the socket, or a negative errno-style code (uv error). */
int sgw_listen_open(const char *host, int port, int *bound_port, int flags);

#endif
