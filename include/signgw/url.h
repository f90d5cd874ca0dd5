/* URL encoding and query strings.
 *
 * The encoder is the "cam-safe" one COS signs with: encodeURIComponent()
 * plus ! ' ( ) * percent-encoded, i.e. everything except A-Z a-z 0-9 - _ . ~
 * becomes %XX with upper-case hex. */
#ifndef SIGNGW_URL_H
#define SIGNGW_URL_H

#include <stddef.h>
#include "signgw/buf.h"

int sgw_url_encode(sgw_buf_t *out, const char *s, size_t len);

/* Percent-decoding. With plus_as_space, '+' becomes ' ' (form encoding).
 * A '%' not followed by two hex digits is SGW_EINVAL. Decoded bytes are
 * not checked for UTF-8 validity; a decoded NUL is kept (callers that
 * need C strings must reject it). */
int sgw_url_decode(sgw_buf_t *out, const char *s, size_t len,
                   int plus_as_space);

/* Walks "a=1&b=&c" without decoding or allocating. Each call yields the
 * next pair; a key without '=' yields an empty value with *has_value 0.
 * Empty segments ("a=1&&b=2") are skipped. Returns 1 while pairs remain,
 * 0 at the end. */
typedef struct sgw_query_iter_s {
  const char *p;
  const char *end;
} sgw_query_iter_t;

void sgw_query_init(sgw_query_iter_t *it, const char *q, size_t len);
int sgw_query_next(sgw_query_iter_t *it, const char **key, size_t *key_len,
                   const char **val, size_t *val_len, int *has_value);

#endif
