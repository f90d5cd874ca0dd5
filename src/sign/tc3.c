/* TC3-HMAC-SHA256 request signatures for Tencent Cloud API 3.0 (see tc3.h).
 *
 * Everything fits in fixed buffers sized from the input bounds in tc3.h,
 * so signing allocates nothing; the derived keys are wiped before return. */
#include "signgw/tc3.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "signgw/crypto.h"
#include "signgw/error.h"

/* ------------------------------------------------------------------ */
/* Fixed-size text assembly                                            */

typedef struct tc3__text_s {
  char *base;
  size_t len;
  size_t cap;   /* including the NUL */
  int overflow;
} tc3__text_t;

static void tc3__init(tc3__text_t *t, char *base, size_t cap) {
  t->base = base;
  t->len = 0;
  t->cap = cap;
  t->overflow = 0;
  base[0] = '\0';
}

static void tc3__add(tc3__text_t *t, const char *s, size_t n) {
  if (t->overflow || n >= t->cap - t->len) {
    t->overflow = 1;
    return;
  }
  memcpy(t->base + t->len, s, n);
  t->len += n;
  t->base[t->len] = '\0';
}

static void tc3__adds(tc3__text_t *t, const char *s) {
  tc3__add(t, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Input checks                                                        */

/* A non-empty token of [A-Za-z0-9_.-], at most `max` bytes: names that go
 * into headers and the credential scope, where '/' or ',' would change
 * how the server splits them. */
static int tc3__token(const char *s, size_t max) {
  size_t n;
  if (s == NULL || s[0] == '\0') return 0;
  for (n = 0; s[n] != '\0'; n++) {
    char c = s[n];
    if (n == max) return 0;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

/* SecretId: visible ASCII, without the separators of the Credential. */
static int tc3__secret_id(const char *s) {
  size_t n;
  if (s == NULL || s[0] == '\0') return 0;
  for (n = 0; s[n] != '\0'; n++) {
    unsigned char c = (unsigned char)s[n];
    if (n == SGW_TC3_ID_MAX || c <= 0x20 || c >= 0x7f || c == ',' ||
        c == '/')
      return 0;
  }
  return 1;
}

/* A header value sent as is: visible ASCII, no spaces (tokens are
 * base64-like; a space at either end would be trimmed in transit). */
static int tc3__header_token(const char *s, size_t max) {
  size_t n;
  if (s == NULL || s[0] == '\0') return 0;
  for (n = 0; s[n] != '\0'; n++) {
    unsigned char c = (unsigned char)s[n];
    if (n == max || c <= 0x20 || c >= 0x7f) return 0;
  }
  return 1;
}

static char tc3__lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Content-Type: trimmed of spaces and tabs, lower-cased, visible ASCII
 * and inner spaces only, non-empty. */
static int tc3__content_type(const char *in, char *out, size_t cap) {
  size_t start = 0, end = strlen(in), n = 0;

  while (start < end && (in[start] == ' ' || in[start] == '\t')) start++;
  while (end > start && (in[end - 1] == ' ' || in[end - 1] == '\t')) end--;
  if (end == start || end - start >= cap) return 0;
  for (size_t i = start; i < end; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c < 0x20 || c >= 0x7f) return 0;
    out[n++] = tc3__lower((char)c);
  }
  out[n] = '\0';
  return 1;
}

static int tc3__digits(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static int tc3__hex_number(const char *s, size_t n) {
  if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return 0;
  for (size_t i = 2; i < n; i++)
    if (sgw_hex_digit((unsigned char)s[i]) < 0) return 0;
  return 1;
}

/* "a.b.c.d", each part a decimal 0..255 without leading zeros. */
static int tc3__dotted_quad(const char *s, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t j = i;
    unsigned v = 0;
    while (j < n && s[j] != '.') {
      if (s[j] < '0' || s[j] > '9' || j - i == 3) return 0;
      v = v * 10 + (unsigned)(s[j] - '0');
      j++;
    }
    if (j == i || v > 255 || (s[i] == '0' && j - i > 1)) return 0;
    if (part < 3 && (j == n || s[j] != '.')) return 0;
    i = j + 1;
  }
  return i == n + 1;
}

/* Checks host[:port], writes it lower-cased to `out` and the length of
 * the name (without the port) to *name_len. */
static int tc3__host(const char *in, char *out, size_t *name_len) {
  size_t len, name, label, last_label = 0, last_len = 0;
  const char *colon;

  if (in == NULL || (len = strlen(in)) == 0 || len > SGW_TC3_HOST_MAX)
    return 0;
  colon = strchr(in, ':');
  name = colon ? (size_t)(colon - in) : len;
  if (colon != NULL) {
    const char *port = colon + 1;
    size_t plen = len - name - 1;
    unsigned long v = 0;
    if (plen == 0 || plen > 5 || !tc3__digits(port, plen)) return 0;
    for (size_t i = 0; i < plen; i++) v = v * 10 + (unsigned)(port[i] - '0');
    if (v == 0 || v > 65535) return 0;
  }
  if (name == 0 || name > 254) return 0;

  /* Labels of [A-Za-z0-9_-], none empty except after a trailing dot. */
  label = 0;
  for (size_t i = 0; i <= name; i++) {
    char c = i < name ? in[i] : '.';
    if (c == '.') {
      if (i == label && !(i == name && i > 0 && in[i - 1] == '.'))
        return 0;
      if (i > label) {
        last_label = label;
        last_len = i - label;
      }
      label = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return 0;
    }
  }
  /* A name ending in a number is an IPv4 address to a URL parser, which
   * rewrites every form but the canonical one. */
  if (tc3__digits(in + last_label, last_len) ||
      tc3__hex_number(in + last_label, last_len)) {
    if (!tc3__dotted_quad(in, name)) return 0;
  }
  for (size_t i = 0; i < len; i++) out[i] = tc3__lower(in[i]);
  out[len] = '\0';
  *name_len = name;
  return 1;
}

/* ------------------------------------------------------------------ */
/* Date                                                                */

/* Days since 1970-01-01 to the proleptic Gregorian y/m/d (valid for the
 * non-negative range used here). */
static void tc3__civil(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ------------------------------------------------------------------ */
/* Signing                                                             */

static void tc3__hex(const unsigned char *in, size_t n, char *out) {
  sgw_hex_encode(in, n, out);
}

static int tc3__check(const sgw_tc3_request_t *r) {
  if (!tc3__secret_id(r->secret_id) || r->secret_key == NULL ||
      r->secret_key[0] == '\0' || strlen(r->secret_key) > SGW_TC3_KEY_MAX)
    return SGW_EINVAL;
  if (!tc3__token(r->service, SGW_TC3_NAME_MAX) ||
      !tc3__token(r->action, SGW_TC3_NAME_MAX) ||
      !tc3__token(r->version, SGW_TC3_NAME_MAX))
    return SGW_EINVAL;
  if (r->region != NULL && r->region[0] != '\0' &&
      !tc3__token(r->region, SGW_TC3_NAME_MAX))
    return SGW_EINVAL;
  if (r->security_token != NULL &&
      !tc3__header_token(r->security_token, SGW_TC3_TOKEN_MAX))
    return SGW_EINVAL;
  if (r->payload == NULL && r->payload_len != 0) return SGW_EINVAL;
  if (r->timestamp < 0 || r->timestamp > SGW_TC3_TIMESTAMP_MAX)
    return SGW_ERANGE;
  return 0;
}

int sgw_tc3_sign(const sgw_tc3_request_t *req, sgw_tc3_result_t *res) {
  unsigned char hash[SGW_SHA256_LEN], k1[SGW_SHA256_LEN],
      k2[SGW_SHA256_LEN], mac[SGW_SHA256_LEN];
  char payload_hex[2 * SGW_SHA256_LEN + 1], request_hex[2 * SGW_SHA256_LEN + 1];
  char signature[2 * SGW_SHA256_LEN + 1];
  char canonical[1024], to_sign[256], secret[3 + SGW_TC3_KEY_MAX + 1];
  tc3__text_t t;
  size_t host_name_len = 0, key_len = 0;
  int64_t year;
  unsigned month, day;
  int rc;

  if (res == NULL) return SGW_EINVAL;
  res->nheaders = 0;
  if (req == NULL) return SGW_EINVAL;
  if ((rc = tc3__check(req)) < 0) return rc;
  if (!tc3__content_type(req->content_type ? req->content_type
                                           : SGW_TC3_DEFAULT_CONTENT_TYPE,
                         res->content_type, sizeof(res->content_type)) ||
      !tc3__host(req->host, res->host, &host_name_len))
    return SGW_EINVAL;

  snprintf(res->timestamp, sizeof(res->timestamp), "%" PRId64,
           req->timestamp);
  tc3__civil(req->timestamp / 86400, &year, &month, &day);
  snprintf(res->date, sizeof(res->date), "%04" PRId64 "-%02u-%02u", year,
           month, day);

  /* 1. Canonical request. */
  rc = SGW_ECRYPTO;
  if (sgw_sha256(req->payload ? req->payload : "", req->payload_len, hash) <
      0)
    goto done;
  tc3__hex(hash, sizeof(hash), payload_hex);
  tc3__init(&t, canonical, sizeof(canonical));
  tc3__adds(&t, "POST\n/\n\ncontent-type:");
  tc3__adds(&t, res->content_type);
  tc3__adds(&t, "\nhost:");
  tc3__add(&t, res->host, host_name_len);
  tc3__adds(&t, "\n\ncontent-type;host\n");
  tc3__adds(&t, payload_hex);
  if (t.overflow) {
    rc = SGW_EINVAL;
    goto done;
  }
  if (sgw_sha256(t.base, t.len, hash) < 0) goto done;
  tc3__hex(hash, sizeof(hash), request_hex);

  /* 2. String to sign. */
  tc3__init(&t, to_sign, sizeof(to_sign));
  tc3__adds(&t, SGW_TC3_ALGORITHM "\n");
  tc3__adds(&t, res->timestamp);
  tc3__adds(&t, "\n");
  tc3__adds(&t, res->date);
  tc3__adds(&t, "/");
  tc3__adds(&t, req->service);
  tc3__adds(&t, "/tc3_request\n");
  tc3__adds(&t, request_hex);
  if (t.overflow) {
    rc = SGW_EINVAL;
    goto done;
  }

  /* 3. Derived key and signature. */
  key_len = strlen(req->secret_key);
  memcpy(secret, "TC3", 3);
  memcpy(secret + 3, req->secret_key, key_len);
  if (sgw_hmac_sha256(secret, 3 + key_len, res->date, strlen(res->date),
                      k1) < 0 ||
      sgw_hmac_sha256(k1, sizeof(k1), req->service, strlen(req->service),
                      k2) < 0 ||
      sgw_hmac_sha256(k2, sizeof(k2), "tc3_request", 11, k1) < 0 ||
      sgw_hmac_sha256(k1, sizeof(k1), to_sign, strlen(to_sign), mac) < 0)
    goto done;
  tc3__hex(mac, sizeof(mac), signature);

  /* 4. Authorization. */
  tc3__init(&t, res->authorization, sizeof(res->authorization));
  tc3__adds(&t, SGW_TC3_ALGORITHM " Credential=");
  tc3__adds(&t, req->secret_id);
  tc3__adds(&t, "/");
  tc3__adds(&t, res->date);
  tc3__adds(&t, "/");
  tc3__adds(&t, req->service);
  tc3__adds(&t, "/tc3_request, SignedHeaders=content-type;host, Signature=");
  tc3__adds(&t, signature);
  if (t.overflow) {
    rc = SGW_EINVAL;
    goto done;
  }

  {
    sgw_tc3_header_t *h = res->headers;
    size_t n = 0;
    h[n++] = (sgw_tc3_header_t){"Authorization", res->authorization};
    h[n++] = (sgw_tc3_header_t){"Content-Type", res->content_type};
    h[n++] = (sgw_tc3_header_t){"Host", res->host};
    h[n++] = (sgw_tc3_header_t){"X-TC-Action", req->action};
    h[n++] = (sgw_tc3_header_t){"X-TC-Timestamp", res->timestamp};
    h[n++] = (sgw_tc3_header_t){"X-TC-Version", req->version};
    if (req->region != NULL && req->region[0] != '\0')
      h[n++] = (sgw_tc3_header_t){"X-TC-Region", req->region};
    if (req->security_token != NULL)
      h[n++] = (sgw_tc3_header_t){"X-TC-Token", req->security_token};
    res->nheaders = n;
  }
  rc = 0;

done:
  OPENSSL_cleanse(secret, sizeof(secret));
  OPENSSL_cleanse(k1, sizeof(k1));
  OPENSSL_cleanse(k2, sizeof(k2));
  OPENSSL_cleanse(mac, sizeof(mac));
  return rc;
}

const char *sgw_tc3_header(const sgw_tc3_result_t *res, const char *name) {
  if (res == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < res->nheaders; i++) {
    const char *a = res->headers[i].name, *b = name;
    while (*a != '\0' && tc3__lower(*a) == tc3__lower(*b)) a++, b++;
    if (*a == '\0' && *b == '\0') return res->headers[i].value;
  }
  return NULL;
}
