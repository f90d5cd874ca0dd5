/* JSON string output (see signgw/json.h). */
#include "signgw/json.h"

#include <stdint.h>

#include "signgw/error.h"

/* Length of the well-formed UTF-8 sequence at p (at most n bytes
 * available), or 0 if it is not one. Follows the table in RFC 3629
 * section 4: the narrowed second-byte ranges after E0, ED, F0 and F4 are
 * what exclude overlong forms, UTF-16 surrogates and code points above
 * U+10FFFF; C0, C1 and F5..FF never start a sequence. */
static size_t utf8_seq_len(const unsigned char *p, size_t n) {
  unsigned char c = p[0], lo = 0x80, hi = 0xbf;
  size_t len, i;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4;
  else
    return 0;
  if (n < len)
    return 0;

  if (c == 0xe0)
    lo = 0xa0; /* below: overlong 3-byte form */
  else if (c == 0xed)
    hi = 0x9f; /* above: U+D800..U+DFFF surrogates */
  else if (c == 0xf0)
    lo = 0x90; /* below: overlong 4-byte form */
  else if (c == 0xf4)
    hi = 0x8f; /* above: beyond U+10FFFF */
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return len;
}

static int utf8_valid(const unsigned char *p, size_t len) {
  size_t i = 0;

  while (i < len) {
    size_t n = utf8_seq_len(p + i, len - i);
    if (n == 0)
      return 0;
    i += n;
  }
  return 1;
}

/* The two-character escape for c, or 0 if c has none. */
static char json_short_escape(unsigned char c) {
  switch (c) {
  case '"':
    return '"';
  case '\\':
    return '\\';
  case '\b':
    return 'b';
  case '\f':
    return 'f';
  case '\n':
    return 'n';
  case '\r':
    return 'r';
  case '\t':
    return 't';
  default:
    return 0;
  }
}

int sgw_json_string(sgw_buf_t *out, const char *s, size_t len) {
  /* Lower-case, as JSON.stringify writes them. */
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  char *w;
  size_t i;
  int rc;

  /* Validate first so that a bad string appends nothing. */
  if (len > 0 && !utf8_valid(p, len))
    return SGW_EINVAL;

  /* Worst case: every byte becomes \u00XX, plus the two quotes. */
  if (len > (SIZE_MAX - 3) / 6)
    return SGW_ENOMEM;
  rc = sgw_buf_reserve(out, len * 6 + 2);
  if (rc != SGW_OK)
    return rc;

  w = out->base + out->len;
  *w++ = '"';
  for (i = 0; i < len; i++) {
    char e = json_short_escape(p[i]);
    if (e != 0) {
      *w++ = '\\';
      *w++ = e;
    } else if (p[i] < 0x20) {
      *w++ = '\\';
      *w++ = 'u';
      *w++ = '0';
      *w++ = '0';
      *w++ = hex[p[i] >> 4];
      *w++ = hex[p[i] & 0x0f];
    } else {
      *w++ = (char)p[i];
    }
  }
  *w++ = '"';
  out->len = (size_t)(w - out->base);
  out->base[out->len] = '\0';
  return SGW_OK;
}
