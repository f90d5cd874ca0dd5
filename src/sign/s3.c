/* AWS Signature Version 4 for S3 (see signgw/s3.h).
 *
 * The reference is the AWS SDK for JavaScript v3, so where SigV4 leaves a
 * choice open this file does what that JavaScript does to its strings:
 * the URL's query is ordered by raw name in UTF-16 code unit order
 * (Object.keys().sort()), the signed query by encoded name; header values
 * are signed with runs of blanks folded to one space and trimmed; the
 * endpoint and bucket become a host and a path by the SDK's endpoint
 * rules. Endpoints are read in s3_endpoint.c, POST policies written in
 * s3_post.c. */
#include "signgw/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sign/crypto_tls.h"
#include "sign/s3_int.h"
#include "signgw/error.h"
#include "signgw/json.h"

#define S3__MAX_QUERY (2 * SGW_S3_MAX_PAIRS + 8)
#define S3__MAX_HEADERS (SGW_S3_MAX_PAIRS + 4)

/* ------------------------------------------------------------------ */
/* Encoding                                                            */

/* Bytes AWS UriEncode keeps: 1 for the unreserved A-Z a-z 0-9 - . _ ~,
 * 2 for '/' (kept in object key paths only). */
static const unsigned char s3__keep[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['/'] = 2,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1};

/* AWS UriEncode: %XX (upper-case hex) for every byte but the unreserved
 * ones; with keep_slash, '/' too is kept (object key paths). Returns
 * whether anything was escaped. */
static int w_encode(sgw__s3_w_t *w, const char *s, size_t n, int keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char keep = keep_slash ? 3 : 1;
  char *o, *start;

  if (w->rc != 0)
    return 0;
  if (n > ((size_t)-1 - 1) / 3 || (w->rc = sgw_buf_reserve(w->b, 3 * n)) < 0)
    return 0;
  o = start = w->b->base + w->b->len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (s3__keep[c] & keep) {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  w->b->len += (size_t)(o - start);
  w->b->base[w->b->len] = '\0';
  return (size_t)(o - start) != n;
}


static int s3__prefix_ci(const char *s, size_t n, const char *lower) {
  size_t m = strlen(lower);
  return n >= m && sgw__s3_eq_ci(s, m, lower);
}

/* ------------------------------------------------------------------ */
/* Input checks                                                        */

/* A non-empty token of [A-Za-z0-9_.-], at most `max` bytes: region and
 * service go into the credential scope, where '/' would split it. */
static int s3__name(const char *s, size_t max) {
  size_t n;
  if (s == NULL || s[0] == '\0')
    return 0;
  for (n = 0; s[n] != '\0'; n++) {
    char c = s[n];
    if (n == max)
      return 0;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

/* Visible ASCII (no space), at most `max` bytes, none of `forbid`. */
static int s3__visible(const char *s, size_t max, const char *forbid) {
  size_t n;
  if (s == NULL || s[0] == '\0')
    return 0;
  for (n = 0; s[n] != '\0'; n++) {
    unsigned char c = (unsigned char)s[n];
    if (n == max || c <= 0x20 || c >= 0x7f || strchr(forbid, c) != NULL)
      return 0;
  }
  return 1;
}

int sgw__s3_check_signer(const sgw_s3_signer_t *s) {
  if (s == NULL || s->endpoint == NULL || s->endpoint->host[0] == '\0')
    return SGW_EINVAL;
  if (sgw_s3_check_cred(s->access_key_id, s->secret_access_key,
                        s->session_token) < 0)
    return SGW_EINVAL;
  if (!s3__name(s->region, SGW_S3_NAME_MAX) ||
      (s->service != NULL && !s3__name(s->service, SGW_S3_NAME_MAX)))
    return SGW_EINVAL;
  return 0;
}

int sgw_s3_check_cred(const char *access_key_id, const char *secret,
                      const char *session_token) {
  size_t n;
  if (!s3__visible(access_key_id, SGW_S3_ID_MAX, ",/") || secret == NULL ||
      (n = strlen(secret)) == 0 || n > SGW_S3_SECRET_MAX ||
      (session_token != NULL &&
       !s3__visible(session_token, SGW_S3_TOKEN_MAX, "")))
    return SGW_EINVAL;
  return 0;
}

static const char *s3__service(const sgw_s3_signer_t *s) {
  return s->service != NULL ? s->service : "s3";
}

static int s3__ends_with(const char *s, size_t n, const char *suffix) {
  size_t m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* [A-Za-z0-9._-]{1,255}: nothing in it needs encoding in a path or a
 * host. Not "." or ".." (URL parsers resolve them), not "xn--..." (AWS
 * forbids it; URL parsers check it as punycode) and not S3 Express
 * directory buckets, which live at other endpoints. */
int sgw__s3_check_bucket(const char *b) {
  size_t n;
  if (b == NULL)
    return SGW_EINVAL;
  for (n = 0; b[n] != '\0'; n++) {
    char c = b[n];
    if (n == SGW_S3_BUCKET_MAX ||
        !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return SGW_EINVAL;
  }
  if (n == 0 || strcmp(b, ".") == 0 || strcmp(b, "..") == 0 ||
      s3__prefix_ci(b, n, "xn--") || s3__ends_with(b, n, "--x-s3") ||
      s3__ends_with(b, n, "--xa-s3"))
    return SGW_EINVAL;
  return 0;
}

/* bucket and key: a key needs a bucket; 1..1024 bytes without NUL. */
static int s3__check_target(const char *bucket, const char *key,
                            size_t key_len) {
  if (bucket != NULL && sgw__s3_check_bucket(bucket) < 0)
    return SGW_EINVAL;
  if (key != NULL) {
    if (bucket == NULL || key_len == 0 || key_len > SGW_S3_KEY_MAX ||
        memchr(key, '\0', key_len) != NULL)
      return SGW_EINVAL;
  }
  return 0;
}

static int s3__check_method(const char *m) {
  size_t n;
  if (m == NULL || m[0] == '\0')
    return SGW_EINVAL;
  for (n = 0; m[n] != '\0'; n++)
    if (n == 16 || m[n] < 'A' || m[n] > 'Z')
      return SGW_EINVAL;
  return 0;
}

/* RFC 9110 token characters, for header names. */
static int s3__tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int s3__header_name(const char *s, size_t n) {
  if (s == NULL || n == 0 || n > SGW_S3_PAIR_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!s3__tchar((unsigned char)s[i]))
      return 0;
  return 1;
}

/* A header value the client sends as it is: visible ASCII, spaces and
 * tabs. (Values of headers that move into the query may hold any bytes:
 * they are percent-encoded there.) */
static int s3__header_value(const char *s, size_t n) {
  if (n > SGW_S3_PAIR_VALUE_MAX || (s == NULL && n != 0))
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c >= 0x7f)
      return 0;
  }
  return 1;
}


/* The names SigV4 itself puts into a presigned query, and the headers
 * header signing adds: a caller must not give them. */
int sgw__s3_reserved_query(const char *s, size_t n) {
  static const char *const names[] = {
      "x-amz-algorithm", "x-amz-content-sha256", "x-amz-credential",
      "x-amz-date",      "x-amz-expires",        "x-amz-security-token",
      "x-amz-signature", "x-amz-signedheaders",  NULL};
  for (int i = 0; names[i] != NULL; i++)
    if (sgw__s3_eq_ci(s, n, names[i]))
      return 1;
  return 0;
}

static int s3__reserved_header(const char *s, size_t n) {
  return sgw__s3_eq_ci(s, n, "host") || sgw__s3_eq_ci(s, n, "authorization") ||
         sgw__s3_reserved_query(s, n);
}

int sgw_s3_header_hoisted(const char *name, size_t len) {
  return name != NULL && s3__prefix_ci(name, len, "x-amz-") &&
         !s3__prefix_ci(name, len, "x-amz-server-side-encryption");
}

/* ------------------------------------------------------------------ */
/* Where a request goes                                                */

/* The SDK's isVirtualHostableS3Bucket(label, false): a DNS label of
 * 3..63 lower-case letters, digits and '-', not starting or ending with
 * '-' (a label has no dots, so it is never an IPv4 address). */
static int s3__virtual_label(const char *b, size_t n) {
  if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
          b[i] == '-'))
      return 0;
  return 1;
}

/* Four dot-separated numbers anywhere in the name (the SDK's
 * /(\d+\.){3}\d+/): such a bucket goes path style. */
static int s3__has_ip_pattern(const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t j = i;
    int groups = 0;
    if (i > 0 && b[i - 1] >= '0' && b[i - 1] <= '9')
      continue; /* a match could start earlier; that start is tried */
    for (;;) {
      size_t d = j;
      while (j < n && b[j] >= '0' && b[j] <= '9')
        j++;
      if (j == d)
        break;
      if (++groups == 4)
        return 1;
      if (j == n || b[j] != '.')
        break;
      j++;
    }
  }
  return 0;
}

/* Virtual-hosted style, by the SDK's rules: a bucket of one DNS label
 * (any endpoint but an IP address), or of several such labels when the
 * endpoint is plain http (no TLS certificate to match), 3..63 bytes in
 * all, without an IPv4-like run of numbers; never when path style is
 * forced. (For an IP endpoint the SDK puts dotted buckets in front of
 * the address, a URL nothing can parse; path style is used instead.) */
static int s3__virtual(const sgw_s3_signer_t *s, const char *bucket) {
  size_t n, label = 0;

  if (bucket == NULL || s->force_path_style || s->endpoint->ip)
    return 0;
  n = strlen(bucket);
  if (memchr(bucket, '.', n) == NULL)
    return s3__virtual_label(bucket, n);
  if (s->endpoint->https || n > 63 || s3__has_ip_pattern(bucket, n))
    return 0;
  for (size_t i = 0; i <= n; i++)
    if (i == n || bucket[i] == '.') {
      if (!s3__virtual_label(bucket + label, i - label))
        return 0;
      label = i + 1;
    }
  return 1;
}

/* Appends decimal v (no sign) at out; returns the end. */
static char *s3__put_uint(char *out, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    *out++ = tmp[--n];
  return out;
}

static char *s3__put(char *out, const char *s) {
  size_t n = strlen(s);
  memcpy(out, s, n);
  return out + n;
}

/* host[:port] as sent in the Host header and signed, NUL-terminated in
 * out (SGW_S3_BUCKET_MAX + SGW_S3_HOST_MAX + 8 bytes); its length. virt:
 * s3__virtual(s, bucket). */
static size_t s3__host(const sgw_s3_signer_t *s, const char *bucket,
                       int virt, char *out) {
  const sgw_s3_endpoint_t *ep = s->endpoint;
  char *o = out;

  if (virt) {
    o = s3__put(o, bucket);
    *o++ = '.';
  }
  o = s3__put(o, ep->host);
  if (ep->port != 0) {
    *o++ = ':';
    o = s3__put_uint(o, ep->port);
  }
  *o = '\0';
  return (size_t)(o - out);
}

/* The path the endpoint rules give the bucket (or the service): the
 * endpoint's path for virtual hosting, that path with a '/' and the
 * bucket for path style. */
static void s3__base_path(sgw__s3_w_t *w, const sgw_s3_signer_t *s,
                          const char *bucket, int virt) {
  const char *path = s->endpoint->path;
  size_t n = strlen(path);

  if (bucket == NULL || virt) {
    w_adds(w, n ? path : "/");
    return;
  }
  w_add(w, path, n);
  if (n == 0 || path[n - 1] != '/')
    w_addc(w, '/');
  w_encode(w, bucket, strlen(bucket), 0);
}

/* The request path, as sent and as signed: the base path, then "/" and
 * the encoded key (or just "/"), without doubling a root "/". */
static void s3__path(sgw__s3_w_t *w, const sgw_s3_signer_t *s,
                     const char *bucket, int virt, const char *key,
                     size_t key_len) {
  size_t start = w->b->len;

  s3__base_path(w, s, bucket, virt);
  if (w->rc == 0 && w->b->len - start == 1 && w->b->base[start] == '/')
    w->b->len = start; /* the root: the operation's path replaces it */
  w_addc(w, '/');
  if (key != NULL)
    w_encode(w, key, key_len, 1);
}

/* scheme://host[:port] */
static void s3__origin(sgw__s3_w_t *w, const sgw_s3_signer_t *s,
                       const char *host, size_t host_len) {
  w_adds(w, s->endpoint->https ? "https://" : "http://");
  w_add(w, host, host_len);
}

int sgw_s3_bucket_url(const sgw_s3_signer_t *s, const char *bucket,
                      sgw_buf_t *out) {
  size_t mark;
  sgw__s3_w_t w;

  if (out == NULL || s == NULL || s->endpoint == NULL ||
      sgw__s3_check_bucket(bucket) < 0)
    return SGW_EINVAL;
  mark = out->len;
  w.b = out;
  w.rc = 0;
  {
    char host[SGW_S3_BUCKET_MAX + SGW_S3_HOST_MAX + 8];
    int virt = s3__virtual(s, bucket);
    size_t n = s3__host(s, bucket, virt, host);
    s3__origin(&w, s, host, n);
    s3__base_path(&w, s, bucket, virt);
  }
  if (w.rc < 0 && out->base != NULL) {
    out->len = mark;
    out->base[mark] = '\0';
  }
  return w.rc;
}

/* ------------------------------------------------------------------ */
/* Dates and signing keys                                              */

/* "YYYYMMDDTHHMMSSZ" (and the scope's "YYYYMMDD" is its first 8). */
static void s3__digits_put(char *out, unsigned v, int n) {
  while (n-- > 0) {
    out[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

/* Dates are checked to lie in 1970..9999 first. */
void sgw__s3_amz_date(int64_t t, char out[17]) {
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  s3__digits_put(out, (unsigned)(tm.tm_year + 1900), 4);
  s3__digits_put(out + 4, (unsigned)(tm.tm_mon + 1), 2);
  s3__digits_put(out + 6, (unsigned)tm.tm_mday, 2);
  out[8] = 'T';
  s3__digits_put(out + 9, (unsigned)tm.tm_hour, 2);
  s3__digits_put(out + 11, (unsigned)tm.tm_min, 2);
  s3__digits_put(out + 13, (unsigned)tm.tm_sec, 2);
  out[15] = 'Z';
  out[16] = '\0';
}

/* HMAC-SHA256 in `ctx` (key NULL: the key it holds already). */
static int s3__hmac(EVP_MAC_CTX *ctx, const void *key, size_t key_len,
                    const void *data, size_t len,
                    unsigned char out[SGW_SHA256_LEN]) {
  size_t n = 0;
  if (!EVP_MAC_init(ctx, key, key_len, NULL) ||
      !EVP_MAC_update(ctx, data, len) ||
      !EVP_MAC_final(ctx, out, &n, SGW_SHA256_LEN) || n != SGW_SHA256_LEN)
    return SGW_ECRYPTO;
  return 0;
}

/* The signing key for date/region/service, derived in `ctx`, which is
 * then left keyed with it (what signing uses next). The intermediate
 * keys are wiped. */
static int s3__derive(EVP_MAC_CTX *ctx, const char *secret, size_t secret_len,
                      const char *date, const char *region,
                      const char *service) {
  unsigned char k[4 + SGW_S3_SECRET_MAX], a[SGW_SHA256_LEN],
      b[SGW_SHA256_LEN];
  int rc = SGW_ECRYPTO;

  memcpy(k, "AWS4", 4);
  memcpy(k + 4, secret, secret_len);
  if (s3__hmac(ctx, k, 4 + secret_len, date, 8, a) == 0 &&
      s3__hmac(ctx, a, sizeof(a), region, strlen(region), b) == 0 &&
      s3__hmac(ctx, b, sizeof(b), service, strlen(service), a) == 0 &&
      s3__hmac(ctx, a, sizeof(a), "aws4_request", 12, b) == 0 &&
      EVP_MAC_init(ctx, b, sizeof(b), NULL))
    rc = 0;
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(a, sizeof(a));
  OPENSSL_cleanse(b, sizeof(b));
  return rc;
}

void sgw_s3_key_cache_init(sgw_s3_key_cache_t *cache) {
  memset(cache, 0, sizeof(*cache));
}

void sgw_s3_key_cache_wipe(sgw_s3_key_cache_t *cache) {
  if (cache == NULL)
    return;
  for (int i = 0; i < SGW_S3_CACHE_SLOTS; i++)
    EVP_MAC_CTX_free(cache->slot[i].keyed); /* wipes its key */
  EVP_MAC_CTX_free(cache->derive);
  OPENSSL_cleanse(cache, sizeof(*cache));
}

/* An HMAC context keyed with the signing key for date/region/service:
 * from the cache when it has it (the secret is compared in constant
 * time), else derived and kept in the slot used longest ago; without a
 * cache, a new context in *tmp that the caller frees. */
static EVP_MAC_CTX *s3__signing_ctx(const sgw_s3_signer_t *s,
                                    const char *date, EVP_MAC_CTX **tmp) {
  sgw_s3_key_cache_t *c = s->cache;
  const char *secret = s->secret_access_key, *service = s3__service(s);
  size_t secret_len = strlen(secret);
  sgw_s3_cached_key_t *victim;

  *tmp = NULL;
  if (c == NULL) {
    if ((*tmp = sgw__hmac_new(SGW__SHA256)) == NULL ||
        s3__derive(*tmp, secret, secret_len, date, s->region, service) < 0)
      return NULL;
    return *tmp;
  }
  victim = &c->slot[0];
  for (int i = 0; i < SGW_S3_CACHE_SLOTS; i++) {
    sgw_s3_cached_key_t *e = &c->slot[i];
    if (e->last_use != 0 && memcmp(e->date, date, 8) == 0 &&
        strcmp(e->region, s->region) == 0 &&
        strcmp(e->service, service) == 0 && e->secret_len == secret_len &&
        CRYPTO_memcmp(e->secret, secret, secret_len) == 0) {
      e->last_use = ++c->clock;
      c->hits++;
      return e->keyed;
    }
    if (e->last_use < victim->last_use)
      victim = e;
  }
  c->misses++;
  victim->last_use = 0; /* unusable until derived */
  if (victim->keyed == NULL &&
      (victim->keyed = sgw__hmac_new(SGW__SHA256)) == NULL)
    return NULL;
  if (s3__derive(victim->keyed, secret, secret_len, date, s->region,
                 service) < 0)
    return NULL;
  OPENSSL_cleanse(victim->secret, sizeof(victim->secret));
  memcpy(victim->date, date, 8);
  memcpy(victim->region, s->region, strlen(s->region) + 1);
  memcpy(victim->service, service, strlen(service) + 1);
  memcpy(victim->secret, secret, secret_len);
  victim->secret_len = secret_len;
  victim->last_use = ++c->clock;
  return victim->keyed;
}

/* hex(HMAC(SigningKey, data)) into out. */
int sgw__s3_sign_with_key(const sgw_s3_signer_t *s, const char *amz_date,
                             const void *data, size_t len, char out[65]) {
  unsigned char mac[SGW_SHA256_LEN];
  EVP_MAC_CTX *tmp, *ctx = s3__signing_ctx(s, amz_date, &tmp);
  int rc = SGW_ECRYPTO;

  if (ctx != NULL && s3__hmac(ctx, NULL, 0, data, len, mac) == 0) {
    sgw_hex_encode(mac, sizeof(mac), out);
    rc = 0;
  }
  EVP_MAC_CTX_free(tmp); /* wipes the key */
  OPENSSL_cleanse(mac, sizeof(mac));
  return rc;
}

/* YYYYMMDD/region/service/aws4_request into out (SGW__S3_SCOPE_MAX bytes). */
void sgw__s3_scope(const sgw_s3_signer_t *s, const char *amz_date,
                      char *out) {
  char *o = out;
  memcpy(o, amz_date, 8);
  o += 8;
  *o++ = '/';
  o = s3__put(o, s->region);
  *o++ = '/';
  o = s3__put(o, s3__service(s));
  memcpy(o, "/aws4_request", 14);
}

/* hex(HMAC(SigningKey, StringToSign)) with StringToSign built from the
 * canonical request. */
static int s3__signature(const sgw_s3_signer_t *s, const char *amz_date,
                         const char *scope, const sgw_buf_t *canonical,
                         char out[65]) {
  unsigned char hash[SGW_SHA256_LEN];
  char to_sign[SGW__S3_SCOPE_MAX + 128], *o = to_sign;

  if (sgw_sha256(canonical->base, canonical->len, hash) < 0)
    return SGW_ECRYPTO;
  o = s3__put(o, SGW_S3_ALGORITHM "\n");
  o = s3__put(o, amz_date);
  *o++ = '\n';
  o = s3__put(o, scope);
  *o++ = '\n';
  sgw_hex_encode(hash, sizeof(hash), o);
  o += 2 * SGW_SHA256_LEN;
  return sgw__s3_sign_with_key(s, amz_date, to_sign, (size_t)(o - to_sign),
                               out);
}

/* ------------------------------------------------------------------ */
/* Query parameters                                                    */

/* Each parameter is encoded once, as "name=value", into one buffer; the
 * signed query and the URL copy the pairs out in their own orders. */
typedef struct s3__param_s {
  const char *name;   /* raw, for the URL's order */
  size_t name_len;
  size_t enc;         /* offset of "name=value", encoded, in q->text */
  size_t enc_name;    /* length of the encoded name */
  size_t enc_len;     /* length of the encoded pair */
} s3__param_t;

typedef struct s3__query_s {
  s3__param_t p[S3__MAX_QUERY];
  size_t n;
  int escaped;        /* some name was escaped: the two orders may differ */
  sgw_buf_t text;
} s3__query_t;

static int s3__query_add(s3__query_t *q, const char *name, size_t name_len,
                         const char *value, size_t value_len) {
  s3__param_t *p;
  sgw__s3_w_t w = {&q->text, 0};

  if (q->n == S3__MAX_QUERY)
    return SGW_EINVAL;
  /* Names are keys of one JS object in the SDK: a repeat is not two
   * parameters, and S3 would read either. */
  for (size_t i = 0; i < q->n; i++)
    if (q->p[i].name_len == name_len &&
        memcmp(q->p[i].name, name, name_len) == 0)
      return SGW_EINVAL;
  p = &q->p[q->n];
  p->name = name;
  p->name_len = name_len;
  p->enc = q->text.len;
  q->escaped |= w_encode(&w, name, name_len, 0);
  p->enc_name = q->text.len - p->enc;
  w_addc(&w, '=');
  w_encode(&w, value ? value : "", value_len, 0);
  if (w.rc < 0)
    return w.rc;
  p->enc_len = q->text.len - p->enc;
  q->n++;
  return 0;
}

static int s3__query_add_s(s3__query_t *q, const char *name,
                           const char *value) {
  return s3__query_add(q, name, strlen(name), value, strlen(value));
}

/* The caller's parameters: names non-empty, values of any bytes. */
static int s3__query_user(s3__query_t *q, const sgw_kv_t *kv, size_t n) {
  int rc;

  if (n > SGW_S3_MAX_PAIRS || (kv == NULL && n != 0))
    return SGW_EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (kv[i].name == NULL || kv[i].name_len == 0 ||
        kv[i].name_len > SGW_S3_PAIR_NAME_MAX ||
        kv[i].value_len > SGW_S3_PAIR_VALUE_MAX ||
        (kv[i].value == NULL && kv[i].value_len != 0) ||
        sgw__s3_reserved_query(kv[i].name, kv[i].name_len))
      return SGW_EINVAL;
    if ((rc = s3__query_add(q, kv[i].name, kv[i].name_len, kv[i].value,
                            kv[i].value_len)) < 0)
      return rc;
  }
  return 0;
}

/* One UTF-16 code unit of UTF-8 text at a time; *pending holds the low
 * surrogate of a pair. Bytes that do not start a well-formed sequence
 * stand for themselves (such text cannot come from a JS string; the order
 * only needs to be deterministic). */
static unsigned s3__utf16_next(const unsigned char **pp,
                               const unsigned char *end, unsigned *pending) {
  const unsigned char *p = *pp;
  unsigned c, min;
  size_t n;

  if (*pending) {
    c = *pending;
    *pending = 0;
    return c;
  }
  c = p[0];
  if (c < 0x80) {
    *pp = p + 1;
    return c;
  }
  if (c >= 0xc2 && c <= 0xdf)
    n = 1, min = 0x80, c &= 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 2, min = 0x800, c &= 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 3, min = 0x10000, c &= 0x07;
  else {
    *pp = p + 1;
    return c;
  }
  if ((size_t)(end - p) <= n) {
    *pp = p + 1;
    return p[0];
  }
  for (size_t i = 1; i <= n; i++) {
    if ((p[i] & 0xc0) != 0x80) {
      *pp = p + 1;
      return p[0];
    }
    c = (c << 6) | (p[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
    *pp = p + 1;
    return p[0];
  }
  *pp = p + n + 1;
  if (c >= 0x10000) {
    c -= 0x10000;
    *pending = 0xdc00 + (c & 0x3ff);
    return 0xd800 + (c >> 10);
  }
  return c;
}

static int s3__cmp_utf16(const char *a, size_t alen, const char *b,
                         size_t blen) {
  const unsigned char *pa = (const unsigned char *)a, *ea = pa + alen;
  const unsigned char *pb = (const unsigned char *)b, *eb = pb + blen;
  unsigned qa = 0, qb = 0;

  while ((pa < ea || qa) && (pb < eb || qb)) {
    unsigned ca = s3__utf16_next(&pa, ea, &qa);
    unsigned cb = s3__utf16_next(&pb, eb, &qb);
    if (ca != cb)
      return ca < cb ? -1 : 1;
  }
  if (pa < ea || qa)
    return 1;
  return (pb < eb || qb) ? -1 : 0;
}

static int s3__cmp_bytes(const char *a, size_t alen, const char *b,
                         size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c != 0)
    return c;
  return alen < blen ? -1 : alen > blen;
}

/* UTF-8 byte order is UTF-16 order unless a code point of U+E000..U+FFFF
 * (lead byte 0xEE or 0xEF) meets one above U+FFFF (0xF0..0xF4). */
static int s3__cmp_raw(const char *a, size_t alen, const char *b,
                       size_t blen) {
  for (size_t i = 0; i < alen; i++)
    if ((unsigned char)a[i] >= 0xee)
      return s3__cmp_utf16(a, alen, b, blen);
  for (size_t i = 0; i < blen; i++)
    if ((unsigned char)b[i] >= 0xee)
      return s3__cmp_utf16(a, alen, b, blen);
  return s3__cmp_bytes(a, alen, b, blen);
}

/* Insertion sort of an index (at most a few dozen entries): by encoded
 * name for signing, by raw name in UTF-16 order for the URL. Sorting an
 * index that is already nearly in order costs one pass. */
static void s3__query_order(const s3__query_t *q, size_t *idx, size_t n,
                            int raw) {
  for (size_t i = 0; i < n; i++) {
    size_t j = i, v = idx[i];
    const s3__param_t *pv = &q->p[v];
    while (j > 0) {
      const s3__param_t *pj = &q->p[idx[j - 1]];
      int c = raw ? s3__cmp_raw(pj->name, pj->name_len, pv->name,
                                pv->name_len)
                  : s3__cmp_bytes(q->text.base + pj->enc, pj->enc_name,
                                  q->text.base + pv->enc, pv->enc_name);
      if (c <= 0)
        break;
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = v;
  }
}

/* The encoded pairs joined by '&', in the order of idx. */
static void s3__query_write(sgw__s3_w_t *w, const s3__query_t *q,
                            const size_t *idx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const s3__param_t *p = &q->p[idx[i]];
    if (i > 0)
      w_addc(w, '&');
    w_add(w, q->text.base + p->enc, p->enc_len);
  }
}

/* ------------------------------------------------------------------ */
/* Signed headers                                                      */

typedef struct s3__header_s {
  size_t name, name_len;    /* lower-case name in the scratch buffer */
  size_t value, value_len;  /* canonical value in the scratch buffer */
} s3__header_t;

typedef struct s3__headers_s {
  s3__header_t h[S3__MAX_HEADERS];
  size_t n;
  sgw_buf_t text;
} s3__headers_t;

/* Adds a signed header: the name lower-cased, the value with CR/LF as
 * spaces, runs of spaces and tabs folded to one space, then trimmed. */
static int s3__headers_add(s3__headers_t *hs, const char *name,
                           size_t name_len, const char *value,
                           size_t value_len) {
  s3__header_t *h;
  sgw__s3_w_t w = {&hs->text, 0};
  size_t start;
  int blank = 0;

  if (hs->n == S3__MAX_HEADERS)
    return SGW_EINVAL;
  h = &hs->h[hs->n];
  h->name = hs->text.len;
  h->name_len = name_len;
  for (size_t i = 0; i < name_len; i++)
    w_addc(&w, sgw__s3_lower(name[i]));
  /* "A" and "a" are one header. */
  for (size_t i = 0; w.rc == 0 && i < hs->n; i++)
    if (hs->h[i].name_len == name_len &&
        memcmp(hs->text.base + hs->h[i].name, hs->text.base + h->name,
               name_len) == 0)
      return SGW_EINVAL;
  start = hs->text.len;
  for (size_t i = 0; i < value_len; i++) {
    char c = value[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      blank = 1;
      continue;
    }
    if (blank && hs->text.len > start)
      w_addc(&w, ' ');
    blank = 0;
    w_addc(&w, c);
  }
  if (w.rc < 0)
    return w.rc;
  h->value = start;
  h->value_len = hs->text.len - start;
  hs->n++;
  return 0;
}

static void s3__headers_order(const s3__headers_t *hs, size_t *idx) {
  for (size_t i = 0; i < hs->n; i++) {
    size_t j = i;
    const s3__header_t *v = &hs->h[i];
    while (j > 0) {
      const s3__header_t *p = &hs->h[idx[j - 1]];
      if (s3__cmp_bytes(hs->text.base + p->name, p->name_len,
                        hs->text.base + v->name, v->name_len) <= 0)
        break;
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = i;
  }
}

/* "a;b;c" of the sorted names. */
static void s3__headers_list(sgw__s3_w_t *w, const s3__headers_t *hs,
                             const size_t *idx) {
  for (size_t i = 0; i < hs->n; i++) {
    const s3__header_t *h = &hs->h[idx[i]];
    if (i > 0)
      w_addc(w, ';');
    w_add(w, hs->text.base + h->name, h->name_len);
  }
}

/* "name:value\n" for each, then the blank line. */
static void s3__headers_canonical(sgw__s3_w_t *w, const s3__headers_t *hs,
                                  const size_t *idx) {
  for (size_t i = 0; i < hs->n; i++) {
    const s3__header_t *h = &hs->h[idx[i]];
    w_add(w, hs->text.base + h->name, h->name_len);
    w_addc(w, ':');
    w_add(w, hs->text.base + h->value, h->value_len);
    w_addc(w, '\n');
  }
  w_addc(w, '\n');
}

/* ------------------------------------------------------------------ */
/* Presigned URLs                                                      */

/* Working state shared by presigning and header signing. */
typedef struct s3__req_s {
  s3__query_t q;
  s3__headers_t hs;
  sgw_buf_t path, canonical, list;
  int virt;           /* virtual-hosted style */
  size_t host_len;
  char host[SGW_S3_BUCKET_MAX + SGW_S3_HOST_MAX + 8];
  char amz_date[17];
  char scope[SGW__S3_SCOPE_MAX];
  char credential[SGW_S3_ID_MAX + SGW__S3_SCOPE_MAX + 2];
  char signature[65];
  size_t qidx[S3__MAX_QUERY], hidx[S3__MAX_HEADERS];
} s3__req_t;

static void s3__req_free(s3__req_t *r) {
  sgw_buf_free(&r->q.text);
  sgw_buf_free(&r->hs.text);
  sgw_buf_free(&r->path);
  sgw_buf_free(&r->canonical);
  sgw_buf_free(&r->list);
}

/* Room for a typical request up front: growing from empty would
 * reallocate each buffer several times. */
static int s3__req_init(s3__req_t *r) {
  r->q.n = 0;
  r->q.escaped = 0;
  r->hs.n = 0;
  sgw_buf_init(&r->q.text);
  sgw_buf_init(&r->hs.text);
  sgw_buf_init(&r->path);
  sgw_buf_init(&r->canonical);
  sgw_buf_init(&r->list);
  if (sgw_buf_reserve(&r->q.text, 1000) < 0 ||
      sgw_buf_reserve(&r->hs.text, 250) < 0 ||
      sgw_buf_reserve(&r->path, 250) < 0 ||
      sgw_buf_reserve(&r->canonical, 1000) < 0 ||
      sgw_buf_reserve(&r->list, 120) < 0) {
    s3__req_free(r);
    return SGW_ENOMEM;
  }
  return 0;
}

/* Common start: checks, date, scope, credential, host, path. */
static int s3__req_begin(s3__req_t *r, const sgw_s3_signer_t *s,
                         const char *method, const char *bucket,
                         const char *key, size_t key_len, int64_t date) {
  sgw__s3_w_t w = {&r->path, 0};
  char *o;
  int rc;

  if ((rc = sgw__s3_check_signer(s)) < 0 ||
      (rc = s3__check_method(method)) < 0 ||
      (rc = s3__check_target(bucket, key, key_len)) < 0)
    return rc;
  if (!sgw__s3_date_ok(date))
    return SGW_ERANGE;
  sgw__s3_amz_date(date, r->amz_date);
  sgw__s3_scope(s, r->amz_date, r->scope);
  o = s3__put(r->credential, s->access_key_id);
  *o++ = '/';
  strcpy(o, r->scope);
  r->virt = s3__virtual(s, bucket);
  r->host_len = s3__host(s, bucket, r->virt, r->host);
  s3__path(&w, s, bucket, r->virt, key, key_len);
  if (w.rc < 0)
    return w.rc;
  return s3__headers_add(&r->hs, "host", 4, r->host, r->host_len);
}

/* METHOD \n path \n query \n headers \n list \n payload, then the
 * signature over it. The query is sorted into r->qidx. */
static int s3__req_sign(s3__req_t *r, const sgw_s3_signer_t *s,
                        const char *method, const char *payload_hash) {
  sgw__s3_w_t w = {&r->canonical, 0};

  for (size_t i = 0; i < r->q.n; i++)
    r->qidx[i] = i;
  s3__query_order(&r->q, r->qidx, r->q.n, 0);
  w_adds(&w, method);
  w_addc(&w, '\n');
  w_add(&w, r->path.base, r->path.len);
  w_addc(&w, '\n');
  s3__query_write(&w, &r->q, r->qidx, r->q.n);
  w_addc(&w, '\n');
  s3__headers_canonical(&w, &r->hs, r->hidx);
  w_add(&w, r->list.base, r->list.len);
  w_addc(&w, '\n');
  w_adds(&w, payload_hash);
  if (w.rc < 0)
    return w.rc;
  return s3__signature(s, r->amz_date, r->scope, &r->canonical, r->signature);
}

/* Sorts the signed headers and writes their list into r->list. */
static int s3__req_list(s3__req_t *r) {
  sgw__s3_w_t w = {&r->list, 0};
  s3__headers_order(&r->hs, r->hidx);
  s3__headers_list(&w, &r->hs, r->hidx);
  return w.rc;
}

/* The URL: origin, path, and the query in the SDK's order (the signed
 * order when no name needed escaping: raw and encoded names then sort
 * alike). */
static int s3__req_url(s3__req_t *r, const sgw_s3_signer_t *s,
                       sgw_buf_t *url) {
  size_t mark = url->len;
  sgw__s3_w_t w = {url, 0};

  if ((w.rc = sgw_buf_reserve(url, r->host_len + r->path.len +
                                       r->q.text.len + r->q.n + 16)) < 0)
    return w.rc;
  s3__origin(&w, s, r->host, r->host_len);
  w_add(&w, r->path.base, r->path.len);
  if (r->q.n > 0) {
    w_addc(&w, '?');
    s3__query_order(&r->q, r->qidx, r->q.n, r->q.escaped);
    s3__query_write(&w, &r->q, r->qidx, r->q.n);
  }
  if (w.rc < 0 && url->base != NULL) {
    url->len = mark;
    url->base[mark] = '\0';
  }
  return w.rc;
}

int sgw_s3_presign(const sgw_s3_signer_t *s, const sgw_s3_presign_t *req,
                   sgw_buf_t *url) {
  char expires[24];
  s3__req_t state, *r = &state; /* about 10 KiB */
  int rc;

  if (req == NULL || url == NULL)
    return SGW_EINVAL;
  if ((rc = s3__req_init(r)) < 0)
    return rc;
  rc = s3__req_begin(r, s, req->method, req->bucket, req->key, req->key_len,
                     req->date);
  if (rc == 0 && (req->expires < 1 || req->expires > SGW_S3_EXPIRES_MAX))
    rc = SGW_ERANGE;
  if (rc == 0)
    rc = s3__query_user(&r->q, req->query, req->nquery);
  if (rc == 0 && (req->nheaders > SGW_S3_MAX_PAIRS ||
                  (req->headers == NULL && req->nheaders != 0)))
    rc = SGW_EINVAL;
  for (size_t i = 0; rc == 0 && i < req->nheaders; i++) {
    const sgw_kv_t *h = &req->headers[i];
    int hoist = sgw_s3_header_hoisted(h->name, h->name_len);
    if (!s3__header_name(h->name, h->name_len) ||
        s3__reserved_header(h->name, h->name_len) ||
        (hoist ? h->value_len > SGW_S3_PAIR_VALUE_MAX ||
                     (h->value == NULL && h->value_len != 0)
               : !s3__header_value(h->value, h->value_len)))
      rc = SGW_EINVAL;
    else if (hoist) /* as the SDK: x-amz-* travel in the query */
      rc = s3__query_add(&r->q, h->name, h->name_len, h->value,
                         h->value_len);
    else
      rc = s3__headers_add(&r->hs, h->name, h->name_len, h->value,
                           h->value_len);
  }
  if (rc < 0)
    goto done;
  /* Two hoisted headers that differ only in case are one header. */
  for (size_t i = 0; i < req->nheaders; i++)
    for (size_t j = i + 1; j < req->nheaders; j++)
      if (req->headers[i].name_len == req->headers[j].name_len &&
          sgw_s3_header_hoisted(req->headers[i].name,
                                req->headers[i].name_len)) {
        size_t k = 0, n = req->headers[i].name_len;
        while (k < n && sgw__s3_lower(req->headers[i].name[k]) ==
                            sgw__s3_lower(req->headers[j].name[k]))
          k++;
        if (k == n) {
          rc = SGW_EINVAL;
          goto done;
        }
      }
  if ((rc = s3__req_list(r)) < 0)
    goto done;
  *s3__put_uint(expires, (uint64_t)req->expires) = '\0';
  if ((rc = s3__query_add_s(&r->q, "X-Amz-Algorithm", SGW_S3_ALGORITHM)) < 0 ||
      (!req->omit_content_sha256 &&
       (rc = s3__query_add_s(&r->q, "X-Amz-Content-Sha256",
                             SGW_S3_UNSIGNED_PAYLOAD)) < 0) ||
      (rc = s3__query_add_s(&r->q, "X-Amz-Credential", r->credential)) < 0 ||
      (rc = s3__query_add_s(&r->q, "X-Amz-Date", r->amz_date)) < 0 ||
      (rc = s3__query_add_s(&r->q, "X-Amz-Expires", expires)) < 0 ||
      (s->session_token != NULL &&
       (rc = s3__query_add_s(&r->q, "X-Amz-Security-Token",
                             s->session_token)) < 0) ||
      (rc = s3__query_add(&r->q, "X-Amz-SignedHeaders", 19, r->list.base,
                          r->list.len)) < 0)
    goto done;
  /* The signature is signed over everything but itself, then joins the
   * query (after the sorted ones: the URL's sort moves it in place). */
  if ((rc = s3__req_sign(r, s, req->method, SGW_S3_UNSIGNED_PAYLOAD)) < 0 ||
      (rc = s3__query_add(&r->q, "X-Amz-Signature", 15, r->signature, 64)) < 0)
    goto done;
  r->qidx[r->q.n - 1] = r->q.n - 1;
  rc = s3__req_url(r, s, url);

done:
  s3__req_free(r);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Header-signed requests                                              */

void sgw_s3_signed_free(sgw_s3_signed_t *out) {
  if (out == NULL)
    return;
  sgw_buf_free(&out->url);
  sgw_buf_free(&out->authorization);
}

static int s3__payload_hash(const sgw_s3_request_t *req, char out[65]) {
  unsigned char hash[SGW_SHA256_LEN];
  const char *h = req->payload_hash;

  if (req->payload == NULL && req->payload_len != 0)
    return SGW_EINVAL;
  if (h == NULL) {
    if (sgw_sha256(req->payload, req->payload_len, hash) < 0)
      return SGW_ECRYPTO;
    sgw_hex_encode(hash, sizeof(hash), out);
    return 0;
  }
  if (strcmp(h, SGW_S3_UNSIGNED_PAYLOAD) != 0) {
    if (strlen(h) != 64)
      return SGW_EINVAL;
    for (size_t i = 0; i < 64; i++)
      if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
        return SGW_EINVAL;
  }
  snprintf(out, 65, "%s", h);
  return 0;
}

int sgw_s3_sign_request(const sgw_s3_signer_t *s, const sgw_s3_request_t *req,
                        sgw_s3_signed_t *out) {
  s3__req_t state, *r = &state; /* about 10 KiB */
  sgw__s3_w_t w;
  int rc;

  if (out == NULL)
    return SGW_EINVAL;
  memset(out, 0, sizeof(*out));
  sgw_buf_init(&out->url);
  sgw_buf_init(&out->authorization);
  if (req == NULL)
    return SGW_EINVAL;
  if ((rc = s3__req_init(r)) < 0)
    return rc;
  rc = s3__req_begin(r, s, req->method, req->bucket, req->key, req->key_len,
                     req->date);
  if (rc == 0)
    rc = s3__payload_hash(req, out->content_sha256);
  if (rc == 0)
    rc = s3__query_user(&r->q, req->query, req->nquery);
  if (rc == 0 && (req->nheaders > SGW_S3_MAX_PAIRS ||
                  (req->headers == NULL && req->nheaders != 0)))
    rc = SGW_EINVAL;
  for (size_t i = 0; rc == 0 && i < req->nheaders; i++) {
    const sgw_kv_t *h = &req->headers[i];
    if (!s3__header_name(h->name, h->name_len) ||
        s3__reserved_header(h->name, h->name_len) ||
        !s3__header_value(h->value, h->value_len))
      rc = SGW_EINVAL;
    else
      rc = s3__headers_add(&r->hs, h->name, h->name_len, h->value,
                           h->value_len);
  }
  if (rc < 0)
    goto done;
  memcpy(out->amz_date, r->amz_date, sizeof(out->amz_date));
  memcpy(out->host, r->host, r->host_len + 1);
  if ((rc = s3__headers_add(&r->hs, "x-amz-content-sha256", 20,
                            out->content_sha256,
                            strlen(out->content_sha256))) < 0 ||
      (rc = s3__headers_add(&r->hs, "x-amz-date", 10, r->amz_date, 16)) < 0 ||
      (s->session_token != NULL &&
       (rc = s3__headers_add(&r->hs, "x-amz-security-token", 20,
                             s->session_token,
                             strlen(s->session_token))) < 0) ||
      (rc = s3__req_list(r)) < 0 ||
      (rc = s3__req_sign(r, s, req->method, out->content_sha256)) < 0)
    goto done;

  w.b = &out->authorization;
  w.rc = 0;
  w_adds(&w, SGW_S3_ALGORITHM " Credential=");
  w_adds(&w, r->credential);
  w_adds(&w, ", SignedHeaders=");
  w_add(&w, r->list.base, r->list.len);
  w_adds(&w, ", Signature=");
  w_add(&w, r->signature, 64);
  if ((rc = w.rc) < 0)
    goto done;
  rc = s3__req_url(r, s, &out->url);

done:
  s3__req_free(r);
  return rc;
}
