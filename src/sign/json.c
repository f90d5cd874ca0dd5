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
 * a \u00XX escape, or (non-ASCII) a UTF-8 check. */
enum { J_PLAIN, J_SHORT, J_UNICODE, J_UTF8 };

static unsigned char json_class(unsigned char c) {
  if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
      c == '\r' || c == '\t')
    return J_SHORT;
  if (c < 0x20)
    return J_UNICODE;
  return c < 0x80 ? J_PLAIN : J_UTF8;
}

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

/* Validates s and returns the bytes its escapes add, or SIZE_MAX for
 * invalid UTF-8. One pass, so a bad string appends nothing. */
static size_t json_extra(const unsigned char *p, size_t len) {
  size_t i = 0, extra = 0;

  while (i < len) {
    switch (json_class(p[i])) {
    case J_PLAIN:
      i++;
      break;
    case J_SHORT:
      extra += 1, i++;
      break;
    case J_UNICODE:
      extra += 5, i++;
      break;
    default: {
      size_t n = utf8_seq_len(p + i, len - i);
      if (n == 0)
        return SIZE_MAX;
      i += n;
    }
    }
  }
  return extra;
}

int sgw_json_string(sgw_buf_t *out, const char *s, size_t len) {
  /* Lower-case, as JSON.stringify writes them. */
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  size_t extra = len > 0 ? json_extra(p, len) : 0, i, run;
  char *w;
  int rc;

  if (extra == SIZE_MAX)
    return SGW_EINVAL;
  if (len > SIZE_MAX - extra - 3)
    return SGW_ENOMEM;
  if ((rc = sgw_buf_reserve(out, len + extra + 2)) != SGW_OK)
    return rc;

  w = out->base + out->len;
  *w++ = '"';
  for (i = 0; i < len;) {
    /* Copy the run that needs no escaping in one go. */
    for (run = i; run < len && json_class(p[run]) != J_SHORT &&
                  json_class(p[run]) != J_UNICODE;
         run++)
      ;
    memcpy(w, p + i, run - i);
    w += run - i;
    if ((i = run) == len)
      break;
    *w++ = '\\';
    if (json_class(p[i]) == J_SHORT) {
      *w++ = json_short_escape(p[i]);
    } else {
      *w++ = 'u';
      *w++ = '0';
      *w++ = '0';
      *w++ = hex[p[i] >> 4];
      *w++ = hex[p[i] & 0x0f];
    }
    i++;
  }
  *w++ = '"';
  out->len = (size_t)(w - out->base);
  out->base[out->len] = '\0';
  return SGW_OK;
}
