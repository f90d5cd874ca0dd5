#include "server/inherit.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "server/listen.h"
#include "signgw/error.h"

static int env_int(const char *name, long *out) {
  const char *v = getenv(name);
  char *end;

  if (v == NULL || *v == '\0')
    return -1;
  errno = 0;
  *out = strtol(v, &end, 10);
  return *end != '\0' || errno != 0 ? -1 : 0;
}

static int sock_int(int fd, int opt, int *out) {
  socklen_t len = sizeof(*out);
  return getsockopt(fd, SOL_SOCKET, opt, out, &len);
}

int sgw_inherit_load(sgw_inherit_t *in, char *err, size_t errlen) {
  long pid, n;
  int rc = 0;

  memset(in, 0, sizeof(*in));
  if (env_int("LISTEN_PID", &pid) < 0 || pid != (long)getpid() ||
      env_int("LISTEN_FDS", &n) < 0 || n <= 0)
    goto out;
  if (n > SGW_INHERIT_MAX) {
    snprintf(err, errlen, "LISTEN_FDS: %ld sockets, at most %d are taken",
             n, SGW_INHERIT_MAX);
    rc = SGW_EINVAL;
    n = SGW_INHERIT_MAX;
  }
  for (int i = 0; i < (int)n; i++) {
    sgw_inherited_t *s = &in->v[in->n++];
    socklen_t len = sizeof(s->addr);
    int type = 0, listening = 0, fl;

    s->fd = SGW_INHERIT_FIRST_FD + i;
    if (rc < 0)
      continue;
    if (sock_int(s->fd, SO_TYPE, &type) < 0 || type != SOCK_STREAM ||
        sock_int(s->fd, SO_ACCEPTCONN, &listening) < 0 || !listening ||
        getsockname(s->fd, (struct sockaddr *)&s->addr, &len) < 0 ||
        (s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6)) {
      snprintf(err, errlen, "LISTEN_FDS: descriptor %d is not a listening "
               "TCP socket", s->fd);
      rc = SGW_EINVAL;
      continue;
    }
    /* Workers poll it; nothing we start may inherit it. */
    if ((fl = fcntl(s->fd, F_GETFL)) >= 0)
      fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(s->fd, F_SETFD, FD_CLOEXEC);
  }
  if (rc < 0)
    sgw_inherit_close(in);

out:
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return rc;
}

static int same_addr(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port &&
         memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

int sgw_inherit_find(const sgw_inherit_t *in, const char *host, int port) {
  struct sockaddr_storage want;

  memset(&want, 0, sizeof(want));
  if (port == 0 ||
      (uv_ip4_addr(host, port, (struct sockaddr_in *)&want) != 0 &&
       uv_ip6_addr(host, port, (struct sockaddr_in6 *)&want) != 0))
    return -1;
  for (int i = 0; i < in->n; i++)
    if (in->v[i].fd >= 0 && same_addr(&in->v[i].addr, &want))
      return i;
  return -1;
}

void sgw_inherit_name(const sgw_inherit_t *in, int i, char *buf,
                      size_t size) {
  const struct sockaddr_storage *a = &in->v[i].addr;
  char host[64] = "?";
  int port = 0;

  if (a->ss_family == AF_INET) {
    uv_ip4_name((const struct sockaddr_in *)a, host, sizeof(host));
    port = ntohs(((const struct sockaddr_in *)a)->sin_port);
  } else if (a->ss_family == AF_INET6) {
    uv_ip6_name((const struct sockaddr_in6 *)a, host, sizeof(host));
    port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
  }
  sgw_listen_name(host, port, buf, size);
}

void sgw_inherit_close(sgw_inherit_t *in) {
  for (int i = 0; i < in->n; i++)
    if (in->v[i].fd >= 0) {
      close(in->v[i].fd);
      in->v[i].fd = -1;
    }
}
