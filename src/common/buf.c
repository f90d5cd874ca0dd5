/* Growable byte buffer (see signgw/buf.h).
 *
 * A fresh buffer holds no memory (base == NULL). Every successful append,
 * even of zero bytes, leaves base allocated and NUL-terminated, so callers
 * that produce an empty result still get a usable "" string. On failure the
 * buffer keeps its previous contents. */
#include "signgw/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"

/* Small enough not to waste memory on short strings, large enough that the
 * typical header or signature line fits without a second realloc. */
#define SGW_BUF_MIN_CAP 64

void sgw_buf_init(sgw_buf_t *b) {
  b->base = NULL;
  b->len = 0;
  b->cap = 0;
}

void sgw_buf_free(sgw_buf_t *b) {
  free(b->base);
  sgw_buf_init(b);
}

void sgw_buf_reset(sgw_buf_t *b) {
  b->len = 0;
  if (b->base != NULL)
    b->base[0] = '\0';
}

/* Capacity to grow to so that at least `need` bytes fit. Doubling keeps
 * appends amortised O(1); near SIZE_MAX doubling would wrap, so fall back to
 * the exact size. */
static size_t buf_grow_cap(size_t cap, size_t need) {
  size_t n = cap < SGW_BUF_MIN_CAP ? SGW_BUF_MIN_CAP : cap;
  while (n < need) {
    if (n > SIZE_MAX / 2)
      return need;
    n *= 2;
  }
  return n;
}

int sgw_buf_reserve(sgw_buf_t *b, size_t extra) {
  size_t need;
  char *p;

  /* len + extra + 1 must not wrap: a size we cannot even represent is as
   * unsatisfiable as one malloc refuses. */
  if (extra > SIZE_MAX - 1 - b->len)
    return SGW_ENOMEM;
  need = b->len + extra + 1;
  if (need <= b->cap)
    return SGW_OK;

  need = buf_grow_cap(b->cap, need);
  p = realloc(b->base, need);
  if (p == NULL)
    return SGW_ENOMEM;
  if (b->base == NULL)
    p[0] = '\0';
  b->base = p;
  b->cap = need;
  return SGW_OK;
}

int sgw_buf_append(sgw_buf_t *b, const void *data, size_t len) {
  int rc = sgw_buf_reserve(b, len);
  if (rc != SGW_OK)
    return rc;
  /* memcpy with a NULL source is undefined even for 0 bytes. */
  if (len > 0)
    memcpy(b->base + b->len, data, len);
  b->len += len;
  b->base[b->len] = '\0';
  return SGW_OK;
}

int sgw_buf_appends(sgw_buf_t *b, const char *s) {
  return sgw_buf_append(b, s, strlen(s));
}

int sgw_buf_appendc(sgw_buf_t *b, char c) {
  return sgw_buf_append(b, &c, 1);
}

size_t sgw_int_to_dec(long long v, char *out) {
  char tmp[SGW_INT_DEC_SIZE], *p = tmp + sizeof(tmp);
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                : (unsigned long long)v;
  size_t n;

  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  n = (size_t)(tmp + sizeof(tmp) - p);
  memcpy(out, p, n);
  out[n] = '\0';
  return n;
}

int sgw_buf_append_int(sgw_buf_t *b, long long v) {
  char tmp[SGW_INT_DEC_SIZE];

  return sgw_buf_append(b, tmp, sgw_int_to_dec(v, tmp));
}

int sgw_buf_appendf(sgw_buf_t *b, const char *fmt, ...) {
  va_list ap, ap2;
  size_t avail;
  int n, rc;

  /* First try to format into the spare room; most calls fit, so they cost
   * one vsnprintf. Otherwise we learn the exact size and format again. */
  rc = sgw_buf_reserve(b, 0);
  if (rc != SGW_OK)
    return rc;
  avail = b->cap - b->len;

  va_start(ap, fmt);
  va_copy(ap2, ap);
  n = vsnprintf(b->base + b->len, avail, fmt, ap);
  va_end(ap);

  if (n < 0) {
    rc = SGW_EINVAL;
    goto out;
  }
  if ((size_t)n >= avail) {
    rc = sgw_buf_reserve(b, (size_t)n);
    if (rc != SGW_OK)
      goto out;
    vsnprintf(b->base + b->len, (size_t)n + 1, fmt, ap2);
  }
  b->len += (size_t)n;
  rc = SGW_OK;

out:
  va_end(ap2);
  /* A failed or truncated attempt may have written past len. */
  b->base[b->len] = '\0';
  return rc;
}
