/* JSON text: string output and a strict parser (see signgw/json.h). */
#include "signgw/json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

int sgw_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, n;

  while (i < len) {
    if (p[i] == 0 || (n = utf8_seq_len(p + i, len - i)) == 0)
      return 0;
    i += n;
  }
  return 1;
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

/* ---- parsing ------------------------------------------------------------ */

/* Nodes and strings come from blocks that are freed together. */
struct sgw__json_block_s {
  struct sgw__json_block_s *next;
  size_t used, cap;
  max_align_t data[];
};

#define JSON_BLOCK_MIN 4096

typedef struct json_parser_s {
  const unsigned char *p, *end;
  sgw_json_doc_t *doc;
  unsigned depth, max_depth;
  int rc;   /* the first failure: SGW_EINVAL or SGW_ENOMEM */
} json_parser_t;

static void *json_alloc(json_parser_t *j, size_t n) {
  struct sgw__json_block_s *b = j->doc->blocks;
  size_t align = sizeof(max_align_t);

  n = (n + align - 1) / align * align;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > JSON_BLOCK_MIN ? n : JSON_BLOCK_MIN;
    if (n > SIZE_MAX - sizeof(*b) ||
        (b = malloc(sizeof(*b) + cap)) == NULL) {
      j->rc = SGW_ENOMEM;
      return NULL;
    }
    b->used = 0;
    b->cap = cap;
    b->next = j->doc->blocks;
    j->doc->blocks = b;
  }
  b->used += n;
  return (char *)b->data + b->used - n;
}

static int json_fail(json_parser_t *j) {
  if (j->rc == SGW_OK)
    j->rc = SGW_EINVAL;
  return j->rc;
}

static void json_ws(json_parser_t *j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static int json_hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;

  for (int i = 0; i < 4; i++) {
    int d = (p[i] >= '0' && p[i] <= '9')   ? p[i] - '0'
            : (p[i] >= 'a' && p[i] <= 'f') ? p[i] - 'a' + 10
            : (p[i] >= 'A' && p[i] <= 'F') ? p[i] - 'A' + 10
                                           : -1;
    if (d < 0)
      return -1;
    v = v << 4 | (unsigned)d;
  }
  *out = v;
  return 0;
}

static size_t json_put_utf8(char *w, unsigned c) {
  if (c < 0x80) {
    w[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    w[0] = (char)(0xc0 | c >> 6);
    w[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    w[0] = (char)(0xe0 | c >> 12);
    w[1] = (char)(0x80 | (c >> 6 & 0x3f));
    w[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  w[0] = (char)(0xf0 | c >> 18);
  w[1] = (char)(0x80 | (c >> 12 & 0x3f));
  w[2] = (char)(0x80 | (c >> 6 & 0x3f));
  w[3] = (char)(0x80 | (c & 0x3f));
  return 4;
}

/* One \uXXXX escape (p after the 'u'), a surrogate pair taken whole.
 * Returns the input bytes used after the 'u', or 0 when invalid. */
static size_t json_unicode(const unsigned char *p, const unsigned char *end,
                           unsigned *cp) {
  unsigned hi, lo;

  if (end - p < 4 || json_hex4(p, &hi) < 0)
    return 0;
  if (hi < 0xd800 || hi > 0xdfff) {
    *cp = hi;
    return 4;
  }
  if (hi > 0xdbff || end - p < 10 || p[4] != '\\' || p[5] != 'u' ||
      json_hex4(p + 6, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
    return 0; /* a lone or reversed surrogate: no character */
  *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
  return 10;
}

/* A string at j->p (on the opening quote), decoded into the arena. The
 * decoded form is never longer than the text, which sizes the copy. */
static int json_string(json_parser_t *j, const char **out,
                       size_t *out_len) {
  const unsigned char *p = j->p + 1, *q = p;
  char *w, *start;

  /* Find the closing quote first, to size the copy. */
  while (q < j->end && *q != '"')
    q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
  if (q >= j->end)
    return json_fail(j);
  if ((start = w = json_alloc(j, (size_t)(q - p) + 1)) == NULL)
    return j->rc;
  while (p < q) {
    unsigned char c = *p;
    size_t n;
    unsigned cp;
    if (c == '\\') {
      switch (p[1]) {
      case '"': *w++ = '"'; break;
      case '\\': *w++ = '\\'; break;
      case '/': *w++ = '/'; break;
      case 'b': *w++ = '\b'; break;
      case 'f': *w++ = '\f'; break;
      case 'n': *w++ = '\n'; break;
      case 'r': *w++ = '\r'; break;
      case 't': *w++ = '\t'; break;
      case 'u':
        if ((n = json_unicode(p + 2, q, &cp)) == 0)
          return json_fail(j);
        w += json_put_utf8(w, cp);
        p += 2 + n;
        continue;
      default:
        return json_fail(j);
      }
      p += 2;
    } else if (c < 0x20) {
      return json_fail(j);
    } else if (c < 0x80) {
      *w++ = (char)c;
      p++;
    } else {
      if ((n = utf8_seq_len(p, (size_t)(q - p))) == 0)
        return json_fail(j);
      memcpy(w, p, n);
      w += n;
      p += n;
    }
  }
  *w = '\0';
  *out = start;
  *out_len = (size_t)(w - start);
  j->p = q + 1;
  return SGW_OK;
}

static int json_digit(const unsigned char *p, const unsigned char *end) {
  return p < end && *p >= '0' && *p <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(json_parser_t *j, sgw_json_t *v) {
  const unsigned char *p = j->p, *s = p;
  int integer = 1;
  char *text;

  if (p < j->end && *p == '-')
    p++;
  if (!json_digit(p, j->end))
    return json_fail(j);
  if (*p == '0')
    p++;
  else
    while (json_digit(p, j->end))
      p++;
  if (p < j->end && *p == '.') {
    integer = 0;
    if (!json_digit(++p, j->end))
      return json_fail(j);
    while (json_digit(p, j->end))
      p++;
  }
  if (p < j->end && (*p == 'e' || *p == 'E')) {
    integer = 0;
    p++;
    if (p < j->end && (*p == '+' || *p == '-'))
      p++;
    if (!json_digit(p, j->end))
      return json_fail(j);
    while (json_digit(p, j->end))
      p++;
  }
  if ((text = json_alloc(j, (size_t)(p - s) + 1)) == NULL)
    return j->rc;
  memcpy(text, s, (size_t)(p - s));
  text[p - s] = '\0';
  v->type = SGW_JSON_NUMBER;
  v->str = text;
  v->len = (size_t)(p - s);
  /* The grammar above leaves strtod nothing to be lenient about. */
  v->number = strtod(text, NULL);
  if (integer) {
    unsigned long long u = 0, lim = text[0] == '-' ? 9223372036854775808ULL
                                                   : 9223372036854775807ULL;
    const char *d = text + (text[0] == '-');
    v->is_integer = 1;
    for (; *d; d++) {
      unsigned dv = (unsigned)(*d - '0');
      if (u > (lim - dv) / 10) {
        v->is_integer = 0;
        break;
      }
      u = u * 10 + dv;
    }
    if (v->is_integer)
      v->integer = text[0] == '-' ? (long long)(0 - u) : (long long)u;
  }
  j->p = p;
  return SGW_OK;
}

static int json_literal(json_parser_t *j, const char *word, size_t n,
                        sgw_json_type_t type, sgw_json_t *v) {
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
    return json_fail(j);
  j->p += n;
  v->type = type;
  return SGW_OK;
}

static int json_value(json_parser_t *j, sgw_json_t *v);

/* An array or object at j->p (on '[' or '{'). */
static int json_container(json_parser_t *j, sgw_json_t *v, int object) {
  sgw_json_t **tail = &v->child;
  char close = object ? '}' : ']';

  if (++j->depth > j->max_depth)
    return json_fail(j);
  v->type = object ? SGW_JSON_OBJECT : SGW_JSON_ARRAY;
  j->p++;
  json_ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    j->depth--;
    return SGW_OK;
  }
  for (;;) {
    sgw_json_t *c = json_alloc(j, sizeof(*c));
    if (c == NULL)
      return j->rc;
    memset(c, 0, sizeof(*c));
    if (object) {
      if (j->p >= j->end || *j->p != '"' ||
          json_string(j, &c->name, &c->name_len) < 0)
        return json_fail(j);
      json_ws(j);
      if (j->p >= j->end || *j->p != ':')
        return json_fail(j);
      j->p++;
    }
    if (json_value(j, c) < 0)
      return j->rc;
    *tail = c;
    tail = &c->next;
    v->count++;
    json_ws(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      json_ws(j);
      continue;
    }
    if (j->p < j->end && *j->p == close) {
      j->p++;
      j->depth--;
      return SGW_OK;
    }
    return json_fail(j);
  }
}

/* A value with the whitespace before it. */
static int json_value(json_parser_t *j, sgw_json_t *v) {
  json_ws(j);
  if (j->p >= j->end)
    return json_fail(j);
  switch (*j->p) {
  case '{':
    return json_container(j, v, 1);
  case '[':
    return json_container(j, v, 0);
  case '"':
    v->type = SGW_JSON_STRING;
    return json_string(j, &v->str, &v->len);
  case 't':
    return json_literal(j, "true", 4, SGW_JSON_TRUE, v);
  case 'f':
    return json_literal(j, "false", 5, SGW_JSON_FALSE, v);
  case 'n':
    return json_literal(j, "null", 4, SGW_JSON_NULL, v);
  default:
    return json_number(j, v);
  }
}

int sgw_json_parse(sgw_json_doc_t *doc, const char *text, size_t len,
                   unsigned max_depth) {
  json_parser_t j;
  sgw_json_t *root;

  doc->root = NULL;
  doc->blocks = NULL;
  if (text == NULL && len > 0)
    return SGW_EINVAL;
  j.p = (const unsigned char *)(text ? text : "");
  j.end = j.p + len;
  j.doc = doc;
  j.depth = 0;
  j.max_depth = max_depth;
  j.rc = SGW_OK;
  if ((root = json_alloc(&j, sizeof(*root))) == NULL)
    return j.rc;
  memset(root, 0, sizeof(*root));
  if (json_value(&j, root) == SGW_OK) {
    json_ws(&j);
    if (j.p != j.end)
      json_fail(&j);
  }
  if (j.rc == SGW_OK)
    doc->root = root;
  return j.rc;
}

void sgw_json_doc_free(sgw_json_doc_t *doc) {
  struct sgw__json_block_s *b, *next;

  if (doc == NULL)
    return;
  for (b = doc->blocks; b != NULL; b = next) {
    next = b->next;
    free(b);
  }
  doc->blocks = NULL;
  doc->root = NULL;
}

const sgw_json_t *sgw_json_get(const sgw_json_t *obj, const char *name) {
  size_t n = strlen(name);

  if (obj == NULL || obj->type != SGW_JSON_OBJECT)
    return NULL;
  for (const sgw_json_t *c = obj->child; c != NULL; c = c->next)
    if (c->name_len == n && memcmp(c->name, name, n) == 0)
      return c;
  return NULL;
}
