/* redis:// URLs (see client/redis.h): read strictly, so a mistyped URL
 * is refused at start-up with what is wrong instead of failing later. */
#include "client/redis.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "signgw/crypto.h"
#include "signgw/error.h"

#define SGW__REDIS_MAX_URL 2048

static int url_fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "redis URL: %s (expected "
           "redis://[[user]:password@]host[:port][/db])", msg);
  return SGW_EINVAL;
}

/* Percent-decodes s[0..len) into out (size cap). -1 on a bad escape, a
 * NUL byte or overflow. */
static int url_decode(const char *s, size_t len, char *out, size_t cap) {
  size_t n = 0;

  for (size_t i = 0; i < len; i++) {
    int c = (unsigned char)s[i];
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= len || (hi = sgw_hex_digit((unsigned char)s[i + 1])) < 0 ||
          (lo = sgw_hex_digit((unsigned char)s[i + 2])) < 0)
        return -1;
      c = hi * 16 + lo;
      i += 2;
    }
    if (c == 0 || n + 1 >= cap)
      return -1;
    out[n++] = (char)c;
  }
  out[n] = '\0';
  return 0;
}

/* Digits only, at most `maxdigits`, into *v. */
static int parse_digits(const char *s, size_t len, size_t maxdigits, long *v) {
  long x = 0;

  if (len == 0 || len > maxdigits)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return 0;
}

static int host_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

int sgw_redis_url_parse(const char *url, sgw_redis_url_t *u, char *err,
                        size_t errlen) {
  const char *p, *end, *auth_end, *at = NULL, *host, *host_end, *port = NULL;
  size_t len;
  long v;

  memset(u, 0, sizeof(*u));
  u->port = 6379;
  if (url == NULL || url[0] == '\0')
    return url_fail(err, errlen, "empty");
  len = strlen(url);
  if (len > SGW__REDIS_MAX_URL)
    return url_fail(err, errlen, "too long");
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
      return url_fail(err, errlen, "contains a space or control character");
  if (strncasecmp(url, "rediss://", 9) == 0)
    return url_fail(err, errlen, "TLS (rediss://) is not supported");
  if (strncasecmp(url, "redis://", 8) != 0)
    return url_fail(err, errlen, "must start with redis://");
  p = url + 8;
  end = url + len;
  auth_end = p + strcspn(p, "/?#");
  for (const char *q = p; q < auth_end; q++)
    if (*q == '@')
      at = q; /* the last '@': a password may hold an unencoded one */

  if (at != NULL) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon == NULL)
      return url_fail(err, errlen, "the part before '@' must be "
                      ":password or user:password");
    if (url_decode(p, (size_t)(colon - p), u->user, sizeof(u->user)) < 0)
      return url_fail(err, errlen, "bad user name (bad %-escape, NUL or "
                      "too long)");
    if (url_decode(colon + 1, (size_t)(at - colon - 1), u->password,
                   sizeof(u->password)) < 0)
      return url_fail(err, errlen, "bad password (bad %-escape, NUL or "
                      "too long)");
    if (u->password[0] == '\0')
      return url_fail(err, errlen, "empty password");
    host = at + 1;
  } else {
    host = p;
  }

  if (host < auth_end && *host == '[') {
    const char *close = memchr(host, ']', (size_t)(auth_end - host));
    unsigned char addr[16];
    size_t hl;
    if (close == NULL)
      return url_fail(err, errlen, "'[' without ']' around an IPv6 address");
    hl = (size_t)(close - host - 1);
    if (hl == 0 || hl >= sizeof(u->host))
      return url_fail(err, errlen, "bad IPv6 address");
    memcpy(u->host, host + 1, hl);
    u->host[hl] = '\0';
    if (uv_inet_pton(AF_INET6, u->host, addr) != 0)
      return url_fail(err, errlen, "bad IPv6 address");
    host_end = close + 1;
    if (host_end < auth_end && *host_end != ':')
      return url_fail(err, errlen, "junk after the IPv6 address");
  } else {
    size_t hl;
    host_end = host;
    while (host_end < auth_end && *host_end != ':')
      host_end++;
    hl = (size_t)(host_end - host);
    if (hl == 0)
      return url_fail(err, errlen, "no host");
    if (hl >= sizeof(u->host))
      return url_fail(err, errlen, "host name too long");
    for (size_t i = 0; i < hl; i++)
      if (!host_char_ok(host[i]))
        return url_fail(err, errlen, "bad character in the host name");
    memcpy(u->host, host, hl);
    u->host[hl] = '\0';
  }
  if (host_end < auth_end) { /* *host_end == ':' */
    port = host_end + 1;
    if (parse_digits(port, (size_t)(auth_end - port), 5, &v) < 0 || v < 1 ||
        v > 65535)
      return url_fail(err, errlen, "the port must be a number from 1 to "
                      "65535");
    u->port = (int)v;
  }

  if (auth_end < end && *auth_end != '/')
    return url_fail(err, errlen, "query strings and fragments are not "
                    "supported");
  if (auth_end < end && auth_end + 1 < end) {
    const char *db = auth_end + 1;
    if (parse_digits(db, (size_t)(end - db), 9, &v) < 0)
      return url_fail(err, errlen, "the path must be /DB, a database number");
    u->db = (int)v;
  }
  return 0;
}
