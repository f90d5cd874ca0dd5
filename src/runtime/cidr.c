#include "runtime/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};

/* An address into 4 or 16 bytes; an IPv4-mapped IPv6 one becomes IPv4. */
static int addr_parse(const char *text, unsigned char *addr, int *v6) {
  unsigned char a6[16];

  if (inet_pton(AF_INET, text, addr) == 1) {
    *v6 = 0;
    return 0;
  }
  if (inet_pton(AF_INET6, text, a6) != 1)
    return SGW_EINVAL;
  if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0) {
    memcpy(addr, a6 + 12, 4);
    *v6 = 0;
    return 0;
  }
  memcpy(addr, a6, 16);
  *v6 = 1;
  return 0;
}

int sgw_cidr_parse(const char *text, sgw_cidr_t *out) {
  char host[64];
  const char *slash = strchr(text, '/');
  size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
  long bits;
  char *end;
  int v6;

  memset(out, 0, sizeof(*out));
  if (hlen == 0 || hlen >= sizeof(host))
    return SGW_EINVAL;
  memcpy(host, text, hlen);
  host[hlen] = '\0';
  /* A mapped IPv6 block would turn into IPv4 with the wrong prefix. */
  if (strchr(host, ':') != NULL && strchr(host, '.') != NULL)
    return SGW_EINVAL;
  if (addr_parse(host, out->addr, &v6) < 0)
    return SGW_EINVAL;
  out->v6 = (unsigned char)v6;
  bits = v6 ? 128 : 32;
  if (slash != NULL) {
    long max = bits;
    if (slash[1] < '0' || slash[1] > '9')
      return SGW_EINVAL;
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' || bits < 0 || bits > max)
      return SGW_EINVAL;
  }
  out->bits = (unsigned char)bits;
  /* Host bits set ("10.1.2.3/8") are cleared: the block is what counts. */
  for (unsigned i = 0; i < (v6 ? 16u : 4u); i++) {
    unsigned keep = out->bits > i * 8 ? out->bits - i * 8 : 0;
    if (keep < 8)
      out->addr[i] &= (unsigned char)(0xff00u >> keep);
  }
  return 0;
}

static int cidr_contains(const sgw_cidr_t *b, const unsigned char *a) {
  unsigned full = b->bits / 8, rest = b->bits % 8;

  if (memcmp(b->addr, a, full) != 0)
    return 0;
  return rest == 0 ||
         (a[full] & (unsigned char)(0xff00u >> rest)) == b->addr[full];
}

int sgw_cidr_match(const sgw_cidr_t *blocks, unsigned n, const char *addr) {
  unsigned char a[16];
  int v6;

  if (addr_parse(addr, a, &v6) < 0)
    return 0;
  for (unsigned i = 0; i < n; i++)
    if (blocks[i].v6 == v6 && cidr_contains(&blocks[i], a))
      return 1;
  return 0;
}

