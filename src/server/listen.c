#include "server/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "signgw/error.h"

#define SGW__BACKLOG 1024

int sgw_listen_parse(sgw_listen_spec_t *l, const char *addr, char *err,
                     size_t errlen) {
  const char *colon = strrchr(addr, ':');
  const char *host = addr;
  size_t hlen;
  char *end;
  long port;

  if (colon == NULL)
    goto bad;
  hlen = (size_t)(colon - addr);
  if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
    host++;
    hlen -= 2;
  }
  port = strtol(colon + 1, &end, 10);
  if (hlen == 0 || hlen >= sizeof(l->host) || *end != '\0' ||
      end == colon + 1 || port < 0 || port > 65535)
    goto bad;
  memcpy(l->host, host, hlen);
  l->host[hlen] = '\0';
  l->port = (int)port;
  return 0;

bad:
  snprintf(err, errlen, "expected HOST:PORT, got '%s'", addr);
  return SGW_EINVAL;
}

void sgw_listen_name(const char *host, int port, char *buf, size_t size) {
  snprintf(buf, size, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss) {
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
    return 0;
  return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
}

static int bound_port_of(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);

  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -1;
  if (ss.ss_family == AF_INET)
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* SO_REUSEPORT would let us share a port another signgw (or anything
 * else of this user's) already serves. A plain bind first tells. */
static int port_is_free(const struct sockaddr_storage *ss) {
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1, rc;

  if (fd < 0)
    return -errno;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  rc = bind(fd, (const struct sockaddr *)ss,
            ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                     : sizeof(struct sockaddr_in6));
  rc = rc < 0 ? -errno : 0;
  close(fd);
  return rc;
}

int sgw_listen_open(const char *host, int port, int *bound_port, int flags) {
  struct sockaddr_storage ss;
  int fd, on = 1, rc;

  memset(&ss, 0, sizeof(ss));
  if ((rc = resolve(host, port, &ss)) < 0)
    return rc;
  if (port != 0 && (bound_port == NULL || *bound_port != port) &&
      !(flags & SGW_LISTEN_SHARE) && (rc = port_is_free(&ss)) < 0)
    return rc;
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
      bind(fd, (struct sockaddr *)&ss,
           ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                   : sizeof(struct sockaddr_in6)) < 0 ||
      listen(fd, SGW__BACKLOG) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  if (bound_port != NULL)
    *bound_port = bound_port_of(fd);
  return fd;
}
