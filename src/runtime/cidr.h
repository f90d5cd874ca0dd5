/* Address blocks (CIDR, RFC 4632) and whether a client address lies in
 * one: metrics.allow, and who sees /readyz's reasons. IPv4 is kept as
 * IPv4, and an IPv4-mapped IPv6 client (RFC 4291 section 2.5.5.2)
 * matches IPv4 blocks. Pure code: no Lua, no I/O. */
#ifndef SGW_CIDR_H
#define SGW_CIDR_H

typedef struct sgw_cidr_s {
  unsigned char addr[16];
  unsigned char bits;
  unsigned char v6;
} sgw_cidr_t;

/* "10.0.0.0/8", "::1/128" or a bare address (one host) into *out; host
 * bits are cleared. Returns 0 or SGW_EINVAL. */
int sgw_cidr_parse(const char *text, sgw_cidr_t *out);
/* Whether the address text `addr` ("1.2.3.4", "::ffff:1.2.3.4", "::1")
 * lies in one of the n blocks. An unparsable address matches none. */
int sgw_cidr_match(const sgw_cidr_t *blocks, unsigned n, const char *addr);

#endif
