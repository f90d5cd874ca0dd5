/* JSON string output (see signgw/json.h). */
#include "signgw/json.h"

#include <stdint.h>
#include <string.h>

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

/* What a byte needs in a JSON string: nothing, a two-character escape,
 * a \u00XX escape, or (non-ASCII) a UTF-8 check. A table: this runs over
 * every byte of every response. */
enum { J_PLAIN, J_SHORT, J_UNICODE, J_UTF8 };

#define J_CTRL8(a, b, c, d, e, f, g, h) a, b, c, d, e, f, g, h
static const unsigned char json_classes[256] = {
    /* 0x00 */ J_CTRL8(2, 2, 2, 2, 2, 2, 2, 2),
    /* 0x08: \b \t \n 0b \f \r */ J_CTRL8(1, 1, 1, 2, 1, 1, 2, 2),
    /* 0x10 */ J_CTRL8(2, 2, 2, 2, 2, 2, 2, 2),
    /* 0x18 */ J_CTRL8(2, 2, 2, 2, 2, 2, 2, 2),
    /* 0x20: '"' */ J_CTRL8(0, 0, 1, 0, 0, 0, 0, 0),
    [0x5c] = J_SHORT, /* backslash */
    [0x80] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0x88] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0x90] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0x98] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xa0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xa8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xb0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xb8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xc0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xc8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xd0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xd8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xe0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xe8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
    [0xf0] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3), [0xf8] = J_CTRL8(3, 3, 3, 3, 3, 3, 3, 3),
};

static unsigned char json_class(unsigned char c) { return json_classes[c]; }

/* The two-character escape for c (J_SHORT bytes only). */
static char json_short_escape(unsigned char c) {
  switch (c) {
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
    return (char)c; /* '"' and '\\' escape as themselves */
  }
}

/* Writes the escape for c at w; returns the bytes written. */
static size_t json_escape(char *w, unsigned char c) {
  /* Lower-case hex, as JSON.stringify writes it. */
  static const char hex[] = "0123456789abcdef";

  w[0] = '\\';
  if (json_class(c) == J_SHORT) {
    w[1] = json_short_escape(c);
    return 2;
  }
  memcpy(w + 1, "u00", 3);
  w[4] = hex[c >> 4];
  w[5] = hex[c & 0x0f];
  return 6;
}

/* Whether all 8 bytes at p are plain: ASCII, not a control character, '"'
 * or '\\'. Word-at-a-time: with every byte below 0x80 (checked by the
 * last term), subtracting 0x20 or 1 from each byte borrows into its top
 * bit exactly when it was below 0x20 or zero (x ^ c is zero where x == c),
 * and a borrow only spreads past a byte that already matched. */
static int json_plain8(const unsigned char *p) {
  const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  uint64_t x;

  memcpy(&x, p, 8);
  return (((x - ones * 0x20) | ((x ^ (ones * '"')) - ones) |
           ((x ^ (ones * '\\')) - ones) | x) &
          high) == 0;
}

/* One pass: plain bytes are copied as they come, the rest escaped or
 * checked as UTF-8. Room is made for the plain case up front and grown
 * only when escapes appear; on invalid UTF-8 the buffer is put back as it
 * was, so a bad string appends nothing. */
int sgw_json_string(sgw_buf_t *out, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t start = out->len, i = 0, n;
  char *w;
  int rc;

  if (len > SIZE_MAX / 2 - 8)
    return SGW_ENOMEM;
  if ((rc = sgw_buf_reserve(out, len + 2)) != SGW_OK)
    return rc;
  w = out->base + out->len;
  *w++ = '"';
  while (i < len) {
    unsigned char cls;
    size_t run = i;
    /* Plain bytes, eight at a time where possible, then one copy. */
    while (len - run >= 8 && json_plain8(p + run))
      run += 8;
    while (run < len && json_classes[p[run]] == J_PLAIN)
      run++;
    memcpy(w, p + i, run - i);
    w += run - i;
    if ((i = run) == len)
      break;
    cls = json_class(p[i]);
    if (cls == J_UTF8) {
      if ((n = utf8_seq_len(p + i, len - i)) == 0) {
        out->len = start;
        out->base[start] = '\0';
        return SGW_EINVAL;
      }
      memcpy(w, p + i, n);
      w += n;
      i += n;
      continue;
    }
    /* An escape: room for it and the rest of the string plain. */
    out->len = (size_t)(w - out->base);
    if ((rc = sgw_buf_reserve(out, 6 + (len - i) + 1)) != SGW_OK) {
      out->len = start;
      out->base[start] = '\0';
      return rc;
    }
    w = out->base + out->len;
    w += json_escape(w, p[i++]);
  }
  *w++ = '"';
  out->len = (size_t)(w - out->base);
  out->base[out->len] = '\0';
  return SGW_OK;
}
