/* S3 endpoints (see signgw/s3.h): what an endpoint URL or a region
 * names, read as the AWS SDK for JavaScript v3 reads them. */
#include "signgw/s3.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sign/s3_int.h"
#include "signgw/error.h"

static int s3__digits(const char *s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

static int s3__hex_number(const char *s, size_t n) {
  if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return 0;
  for (size_t i = 2; i < n; i++)
    if (sgw_hex_digit((unsigned char)s[i]) < 0)
      return 0;
  return 1;
}

/* "a.b.c.d", each part a decimal 0..255 without leading zeros: the only
 * numeric host a URL parser leaves as it is. */
static int s3__dotted_quad(const char *s, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t j = i;
    unsigned v = 0;
    while (j < n && s[j] != '.') {
      if (s[j] < '0' || s[j] > '9' || j - i == 3)
        return 0;
      v = v * 10 + (unsigned)(s[j] - '0');
      j++;
    }
    if (j == i || v > 255 || (s[i] == '0' && j - i > 1))
      return 0;
    if (part < 3 && (j == n || s[j] != '.'))
      return 0;
    i = j + 1;
  }
  return i == n + 1;
}

/* A host name of labels [A-Za-z0-9_-], written lower-case into ep->host.
 * A name whose last label is a number is an IPv4 address to a URL
 * parser: only the canonical dotted quad is taken. */
static int s3__host_name(const char *s, size_t n, sgw_s3_endpoint_t *ep) {
  size_t label = 0, last = 0;

  if (n == 0 || n > SGW_S3_HOST_MAX)
    return SGW_EINVAL;
  for (size_t i = 0; i <= n; i++) {
    char c = i < n ? s[i] : '.';
    if (c == '.') {
      if (i == label || i - label > 63)
        return SGW_EINVAL;
      last = label;
      label = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return SGW_EINVAL;
    }
  }
  if (s3__digits(s + last, n - last) || s3__hex_number(s + last, n - last)) {
    if (!s3__dotted_quad(s, n))
      return SGW_EINVAL;
    ep->ip = 1;
  }
  for (size_t i = 0; i < n; i++)
    ep->host[i] = sgw__s3_lower(s[i]);
  ep->host[n] = '\0';
  return 0;
}

/* "[v6]": stored in the text form a URL parser writes (RFC 5952: lower
 * case, longest zero run compressed), which is what inet_ntop writes for
 * addresses without an embedded IPv4 part; those are refused. */
static int s3__host_v6(const char *s, size_t n, sgw_s3_endpoint_t *ep) {
  char in[64], out[INET6_ADDRSTRLEN];
  unsigned char addr[16];

  if (n < 3 || n - 2 >= sizeof(in) || s[n - 1] != ']')
    return SGW_EINVAL;
  memcpy(in, s + 1, n - 2);
  in[n - 2] = '\0';
  if (strchr(in, '.') != NULL || strchr(in, '%') != NULL ||
      inet_pton(AF_INET6, in, addr) != 1 ||
      inet_ntop(AF_INET6, addr, out, sizeof(out)) == NULL ||
      strchr(out, '.') != NULL)
    return SGW_EINVAL;
  snprintf(ep->host, sizeof(ep->host), "[%s]", out);
  ep->ip = 1;
  return 0;
}

static int s3__endpoint_path(const char *s, size_t n, sgw_s3_endpoint_t *ep) {
  size_t seg = 0;

  if (n > SGW_S3_PATH_MAX)
    return SGW_EINVAL;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '/') {
      size_t len = i - seg;
      if ((len == 1 && s[seg] == '.') ||
          (len == 2 && s[seg] == '.' && s[seg + 1] == '.'))
        return SGW_EINVAL;
      seg = i + 1;
    } else if (!sgw__s3_unreserved((unsigned char)s[i])) {
      return SGW_EINVAL;
    }
  }
  /* "/" and "" are both the root; it is kept as "". */
  if (n == 1)
    n = 0;
  memcpy(ep->path, s, n);
  ep->path[n] = '\0';
  return 0;
}

int sgw_s3_endpoint_parse(const char *url, sgw_s3_endpoint_t *ep) {
  const char *p, *auth, *end, *slash, *colon = NULL;
  size_t host_len;
  int rc;

  if (ep == NULL)
    return SGW_EINVAL;
  memset(ep, 0, sizeof(*ep));
  if (url == NULL)
    return SGW_EINVAL;
  if (strncmp(url, "https://", 8) == 0) {
    ep->https = 1;
    auth = url + 8;
  } else if (strncmp(url, "http://", 7) == 0) {
    auth = url + 7;
  } else {
    return SGW_EINVAL;
  }
  end = auth + strlen(auth);
  for (p = auth; p < end; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '@' ||
        c == '\\')
      return SGW_EINVAL;
  }
  slash = strchr(auth, '/');
  if (slash == NULL)
    slash = end;
  if (auth[0] == '[') {
    const char *close = memchr(auth, ']', (size_t)(slash - auth));
    if (close == NULL)
      return SGW_EINVAL;
    if (close + 1 < slash) {
      if (close[1] != ':')
        return SGW_EINVAL;
      colon = close + 1;
    }
    host_len = (size_t)(close + 1 - auth);
    rc = s3__host_v6(auth, host_len, ep);
  } else {
    colon = memchr(auth, ':', (size_t)(slash - auth));
    host_len = (size_t)((colon ? colon : slash) - auth);
    rc = s3__host_name(auth, host_len, ep);
  }
  if (rc < 0)
    goto fail;
  if (colon != NULL) {
    size_t plen = (size_t)(slash - colon - 1);
    unsigned long v = 0;
    if (plen == 0 || plen > 5 || !s3__digits(colon + 1, plen))
      goto fail;
    for (size_t i = 0; i < plen; i++)
      v = v * 10 + (unsigned)(colon[1 + i] - '0');
    if (v == 0 || v > 65535)
      goto fail;
    /* A URL parser drops the scheme's default port. */
    ep->port = (v == (ep->https ? 443u : 80u)) ? 0 : (unsigned)v;
  }
  if ((rc = s3__endpoint_path(slash, (size_t)(end - slash), ep)) < 0)
    goto fail;
  return 0;

fail:
  memset(ep, 0, sizeof(*ep));
  return SGW_EINVAL;
}

int sgw_s3_endpoint_default(const char *region, sgw_s3_endpoint_t *ep) {
  size_t n;
  const char *suffix = "amazonaws.com";

  if (ep == NULL)
    return SGW_EINVAL;
  memset(ep, 0, sizeof(*ep));
  if (region == NULL || (n = strlen(region)) == 0 || n > SGW_S3_NAME_MAX ||
      region[0] == '-' || region[n - 1] == '-')
    return SGW_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!((region[i] >= 'a' && region[i] <= 'z') ||
          (region[i] >= '0' && region[i] <= '9') || region[i] == '-'))
      return SGW_EINVAL;
  /* The aws-cn partition: "cn-<word>-<digits>". */
  if (strncmp(region, "cn-", 3) == 0) {
    const char *dash = strrchr(region, '-');
    if (dash > region + 3 && s3__digits(dash + 1, strlen(dash + 1)))
      suffix = "amazonaws.com.cn";
  }
  ep->https = 1;
  snprintf(ep->host, sizeof(ep->host), "s3.%s.%s", region, suffix);
  return 0;
}
