/* Listening sockets handed over at start by socket activation, as
 * systemd does it (sd_listen_fds(3)): LISTEN_PID names this process and
 * LISTEN_FDS says how many descriptors from 3 on are listening sockets.
 *
 * The holder of such a socket (systemd) keeps it open while signgw
 * restarts, so clients queue in its backlog instead of being refused, and
 * a draining signgw resets none of them. Each `listen` entry takes the
 * inherited socket bound to its address, if there is one; every worker
 * accepts on a duplicate of it.
 *
 * Ownership: the caller owns the struct; sgw_inherit_close() closes the
 * descriptors that were not taken. */
#ifndef SGW_INHERIT_H
#define SGW_INHERIT_H

#include <stddef.h>
#include <sys/socket.h>

#define SGW_INHERIT_MAX 16
#define SGW_INHERIT_FIRST_FD 3 /* SD_LISTEN_FDS_START */

typedef struct sgw_inherited_s {
  int fd;                       /* -1 once closed */
  int taken;                    /* a listen entry uses it */
  struct sockaddr_storage addr; /* where it listens */
} sgw_inherited_t;

typedef struct sgw_inherit_s {
  sgw_inherited_t v[SGW_INHERIT_MAX];
  int n;
} sgw_inherit_t;

/* Takes the sockets the environment announces for this process (none
 * when LISTEN_PID is not ours) and unsets LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES, so they are read once. Returns 0, or SGW_EINVAL with
 * a message when a descriptor is not a listening TCP socket (they are
 * all closed then). */
int sgw_inherit_load(sgw_inherit_t *in, char *err, size_t errlen);

/* Index of the inherited socket bound to exactly host:port, or -1. */
int sgw_inherit_find(const sgw_inherit_t *in, const char *host, int port);

/* "127.0.0.1:8443" of socket i into buf. */
void sgw_inherit_name(const sgw_inherit_t *in, int i, char *buf,
                      size_t size);

/* Closes every inherited descriptor (workers hold duplicates). */
void sgw_inherit_close(sgw_inherit_t *in);

#endif
