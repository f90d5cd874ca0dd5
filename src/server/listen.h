/* Listening sockets. Each worker binds its own socket to the same address
 * with SO_REUSEPORT so the kernel spreads connections across workers. */
#ifndef SGW_LISTEN_H
#define SGW_LISTEN_H

/* Binds and listens on host:port. When port is 0 the kernel picks one and
 * *bound_port receives it, so further workers can bind the same port.
 * The first socket (port != *bound_port) fails with UV_EADDRINUSE when
 * the port is already served, even by a SO_REUSEPORT socket.
 * Returns the socket, or a negative errno-style code (uv error). */
int sgw_listen_open(const char *host, int port, int *bound_port);

#endif
