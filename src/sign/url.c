/* Percent-encoding and query-string walking (see signgw/url.h). */
#include "signgw/url.h"

#include <stdint.h>
#include <string.h>

#include "signgw/crypto.h"
#include "signgw/error.h"

/* RFC 3986 "unreserved": the only bytes COS leaves as they are. Written out
 * rather than isalnum(), which follows the locale. */
static int url_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

int sgw_url_encode(sgw_buf_t *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p = (const unsigned char *)s;
  char *w;
  size_t i;
  int rc;

  /* Reserve the worst case (every byte becomes %XX) once, then write
   * without further checks. */
  if (len > (SIZE_MAX - 1) / 3)
    return SGW_ENOMEM;
  rc = sgw_buf_reserve(out, len * 3);
  if (rc != SGW_OK)
    return rc;

  w = out->base + out->len;
  for (i = 0; i < len; i++) {
    if (url_unreserved(p[i])) {
      *w++ = (char)p[i];
    } else {
      *w++ = '%';
      *w++ = hex[p[i] >> 4];
      *w++ = hex[p[i] & 0x0f];
    }
  }
  out->len = (size_t)(w - out->base);
  out->base[out->len] = '\0';
  return SGW_OK;
}

int sgw_url_decode(sgw_buf_t *out, const char *s, size_t len,
                   int plus_as_space) {
  const unsigned char *p = (const unsigned char *)s;
  size_t start = out->len, i;
  char *w;
  int rc;

  /* Decoding never grows the text. */
  rc = sgw_buf_reserve(out, len);
  if (rc != SGW_OK)
    return rc;

  w = out->base + out->len;
  for (i = 0; i < len; i++) {
    if (p[i] == '%') {
      int hi = i + 2 < len ? sgw_hex_digit(p[i + 1]) : -1;
      int lo = i + 2 < len ? sgw_hex_digit(p[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        goto bad;
      *w++ = (char)(hi << 4 | lo);
      i += 2;
    } else if (p[i] == '+' && plus_as_space) {
      *w++ = ' ';
    } else {
      *w++ = (char)p[i];
    }
  }
  out->len = (size_t)(w - out->base);
  out->base[out->len] = '\0';
  return SGW_OK;

bad:
  /* Leave the buffer as the caller gave it: no half-decoded tail. */
  out->len = start;
  out->base[start] = '\0';
  return SGW_EINVAL;
}

void sgw_query_init(sgw_query_iter_t *it, const char *q, size_t len) {
  /* NULL + 0 is undefined in C; an empty query gets a real empty string. */
  if (q == NULL)
    q = "";
  it->p = q;
  it->end = q + len;
}

int sgw_query_next(sgw_query_iter_t *it, const char **key, size_t *key_len,
                   const char **val, size_t *val_len, int *has_value) {
  const char *seg, *seg_end, *eq;

  while (it->p < it->end && *it->p == '&')
    it->p++;
  if (it->p == it->end)
    return 0;

  seg = it->p;
  seg_end = memchr(seg, '&', (size_t)(it->end - seg));
  if (seg_end == NULL)
    seg_end = it->end;
  it->p = seg_end;

  /* The first '=' splits; later ones belong to the value ("d=x=y"). */
  eq = memchr(seg, '=', (size_t)(seg_end - seg));
  *key = seg;
  if (eq != NULL) {
    *key_len = (size_t)(eq - seg);
    *val = eq + 1;
    *val_len = (size_t)(seg_end - eq - 1);
    *has_value = 1;
  } else {
    *key_len = (size_t)(seg_end - seg);
    /* Point at the segment end, not NULL, so callers may use it. */
    *val = seg_end;
    *val_len = 0;
    *has_value = 0;
  }
  return 1;
}
