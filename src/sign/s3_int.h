/* Internals shared by the S3 signing files: s3.c (checks, signing keys,
 * request signing), s3_endpoint.c and s3_post.c. Not part of the API. */
#ifndef SGW_SIGN_S3_INT_H
#define SGW_SIGN_S3_INT_H

#include <stdint.h>
#include <string.h>

#include "signgw/buf.h"
#include "signgw/s3.h"

/* "YYYYMMDD/region/service/aws4_request" and its NUL. */
#define SGW__S3_SCOPE_MAX (8 + 2 * SGW_S3_NAME_MAX + 20)

/* Text assembly with a sticky error: every step can append without
 * checking and the end checks once. Inline: signing appends in its
 * innermost loops. */
typedef struct sgw__s3_w_s {
  sgw_buf_t *b;
  int rc;
} sgw__s3_w_t;

static inline void w_add(sgw__s3_w_t *w, const void *p, size_t n) {
  sgw_buf_t *b = w->b;
  if (w->rc != 0 || n == 0)
    return;
  if (b->base == NULL || n >= b->cap - b->len) { /* no room: grow */
    w->rc = sgw_buf_append(b, p, n);
    return;
  }
  memcpy(b->base + b->len, p, n);
  b->len += n;
  b->base[b->len] = '\0';
}

static inline void w_adds(sgw__s3_w_t *w, const char *s) {
  w_add(w, s, strlen(s));
}

static inline void w_addc(sgw__s3_w_t *w, char c) {
  sgw_buf_t *b = w->b;
  if (w->rc == 0 && b->base != NULL && b->len + 1 < b->cap) {
    b->base[b->len++] = c;
    b->base[b->len] = '\0';
    return;
  }
  w_add(w, &c, 1);
}

static inline char sgw__s3_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison with a lower-case literal. */
static inline int sgw__s3_eq_ci(const char *s, size_t n, const char *lower) {
  size_t m = strlen(lower);
  if (n != m)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (sgw__s3_lower(s[i]) != lower[i])
      return 0;
  return 1;
}

/* The unreserved bytes of RFC 3986: A-Z a-z 0-9 - . _ ~ */
static inline int sgw__s3_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

/* Dates are signed only within 1970..9999. */
static inline int sgw__s3_date_ok(int64_t t) {
  return t >= 0 && t <= SGW_S3_DATE_MAX;
}

/* Input checks: 0, or -1 when the signer (credentials, region, service)
 * or the bucket name cannot be signed for. */
int sgw__s3_check_signer(const sgw_s3_signer_t *s);
int sgw__s3_check_bucket(const char *b);
/* Whether a query parameter name is one the signature itself sets. */
int sgw__s3_reserved_query(const char *s, size_t n);

/* "YYYYMMDDTHHMMSSZ" of a checked date. */
void sgw__s3_amz_date(int64_t t, char out[17]);
/* YYYYMMDD/region/service/aws4_request into out (SGW__S3_SCOPE_MAX). */
void sgw__s3_scope(const sgw_s3_signer_t *s, const char *amz_date,
                   char *out);
/* hex(HMAC(SigningKey, data)) into out. */
int sgw__s3_sign_with_key(const sgw_s3_signer_t *s, const char *amz_date,
                          const void *data, size_t len, char out[65]);

#endif /* SGW_SIGN_S3_INT_H */
