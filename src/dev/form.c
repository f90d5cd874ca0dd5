/* multipart/form-data, read in pieces (see form.h). */
#include "dev/form.h"

#include <string.h>

#include "signgw/error.h"

enum {
  S_PREAMBLE,  /* before the first delimiter: dropped */
  S_AFTER,     /* right after a delimiter: "--", or padding and CRLF */
  S_AFTER_DASH,
  S_AFTER_CR,
  S_HEADERS,   /* a part's header block */
  S_DATA,      /* a part's body */
  S_DONE,      /* after the closing delimiter: ignored */
  S_FAILED
};

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int equal_ci(const char *a, size_t alen, const char *z) {
  size_t n = strlen(z);

  if (alen != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != z[i])
      return 0;
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

static void skip_space(const char **p, const char *end) {
  while (*p < end && is_space(**p))
    (*p)++;
}

/* RFC 2046 bcharsnospace, and space (not last). */
static int boundary_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c != '\0' && strchr("'()+_,-./:=? ", c));
}

/* One parameter value at *p: a token or a quoted string (backslash
 * escapes undone), appended to `out`. Leaves *p after it. */
static int param_value(const char **p, const char *end, sgw_buf_t *out) {
  const char *s = *p;

  if (s < end && *s == '"') {
    for (s++; s < end && *s != '"'; s++) {
      if (*s == '\\' && s + 1 < end)
        s++;
      if (sgw_buf_appendc(out, *s) < 0)
        return SGW_ENOMEM;
    }
    if (s == end)
      return SGW_EINVAL; /* unterminated */
    *p = s + 1;
    return 0;
  }
  while (s < end && *s != ';' && !is_space(*s))
    if (sgw_buf_appendc(out, *s++) < 0)
      return SGW_ENOMEM;
  *p = s;
  return 0;
}

/* Walks "type; a=1; b="2"": calls each parameter's name and its value's
 * span in `scratch`. `want` is the type (lower case) the value must have.
 * Returns 0 after the first parameter named `pname`, with its value in
 * `out` (reset first); SGW_ENOENT without one; SGW_EINVAL if malformed. */
static int find_param(const char *v, size_t len, const char *want,
                      const char *pname, sgw_buf_t *out) {
  const char *p = v, *end = v + len, *t;
  int rc;

  skip_space(&p, end);
  for (t = p; p < end && *p != ';' && !is_space(*p); p++)
    ;
  if (!equal_ci(t, (size_t)(p - t), want))
    return SGW_EINVAL;
  for (;;) {
    const char *n;
    size_t before;
    skip_space(&p, end);
    if (p == end)
      return SGW_ENOENT;
    if (*p++ != ';')
      return SGW_EINVAL;
    skip_space(&p, end);
    for (n = p; p < end && *p != '=' && *p != ';' && !is_space(*p); p++)
      ;
    if (p == end || *p != '=')
      return SGW_EINVAL;
    before = out->len;
    if (equal_ci(n, (size_t)(p - n), pname)) {
      sgw_buf_reset(out);
      p++;
      return param_value(&p, end, out);
    }
    p++;
    if ((rc = param_value(&p, end, out)) < 0)
      return rc;
    out->len = before; /* not the one: forget its value */
  }
}

int sgw_form_init(sgw_form_t *f, const char *content_type, size_t len,
                  const sgw_form_cb_t *cb, void *ud) {
  sgw_buf_t b;
  int rc;

  memset(f, 0, sizeof(*f));
  sgw_buf_init(&f->head);
  sgw_buf_init(&f->text);
  f->cb = cb;
  f->ud = ud;
  f->state = S_FAILED;
  sgw_buf_init(&b);
  rc = find_param(content_type ? content_type : "", len,
                  "multipart/form-data", "boundary", &b);
  if (rc == 0 && (b.len == 0 || b.len > SGW_FORM_MAX_BOUNDARY ||
                  b.base[b.len - 1] == ' '))
    rc = SGW_EINVAL;
  for (size_t i = 0; rc == 0 && i < b.len; i++)
    if (!boundary_char(b.base[i]))
      rc = SGW_EINVAL;
  if (rc == 0) {
    memcpy(f->delim, "\r\n--", 4);
    memcpy(f->delim + 4, b.base, b.len);
    f->dlen = 4 + b.len;
    /* The first delimiter may open the body: as if a CRLF came first. */
    f->matched = f->held = 2;
    f->state = S_PREAMBLE;
  }
  sgw_buf_free(&b);
  return rc == SGW_ENOMEM ? rc : rc < 0 ? SGW_EINVAL : 0;
}

void sgw_form_free(sgw_form_t *f) {
  sgw_buf_free(&f->head);
  sgw_buf_free(&f->text);
}

int sgw_form_done(const sgw_form_t *f) { return f->state == S_DONE; }

/* The part's header block is complete (in f->head, with its final CRLF
 * CRLF, or just CRLF when it has no header at all). */
static int form_part_begin(sgw_form_t *f) {
  const char *p = f->head.base, *end = p + f->head.len;
  sgw_form_part_t part = {0};
  size_t name_off = 0, file_off = 0;
  int has_name = 0, has_file = 0, rc;

  sgw_buf_reset(&f->text);
  while (p < end) {
    const char *eol = memchr(p, '\r', (size_t)(end - p)), *colon, *v;
    if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
      return SGW_EINVAL;
    if (eol == p)
      break; /* the blank line */
    colon = memchr(p, ':', (size_t)(eol - p));
    if (colon == NULL || colon == p || is_space(*p))
      return SGW_EINVAL; /* no name, or an obsolete fold */
    v = colon + 1;
    skip_space(&v, eol);
    if (equal_ci(p, (size_t)(colon - p), "content-disposition") && !has_name) {
      sgw_buf_t val;
      sgw_buf_init(&val);
      rc = find_param(v, (size_t)(eol - v), "form-data", "name", &val);
      if (rc == 0) {
        name_off = f->text.len;
        part.name_len = val.len;
        rc = sgw_buf_append(&f->text, val.base ? val.base : "", val.len);
        has_name = 1;
      }
      if (rc == 0) {
        rc = find_param(v, (size_t)(eol - v), "form-data", "filename", &val);
        if (rc == 0) {
          file_off = f->text.len;
          part.filename_len = val.len;
          rc = sgw_buf_append(&f->text, val.base ? val.base : "", val.len);
          has_file = 1;
        } else if (rc == SGW_ENOENT) {
          rc = 0;
        }
      }
      sgw_buf_free(&val);
      if (rc < 0)
        return rc == SGW_ENOENT ? SGW_EINVAL : rc;
    } else if (equal_ci(p, (size_t)(colon - p), "content-type")) {
      part.type = v;
      part.type_len = (size_t)(eol - v);
      while (part.type_len > 0 && is_space(part.type[part.type_len - 1]))
        part.type_len--;
    }
    p = eol + 2;
  }
  if (!has_name)
    return SGW_EINVAL; /* RFC 7578: every part names its field */
  /* Offsets first: the text buffer may have moved as it grew. */
  part.name = f->text.base + name_off;
  part.filename = has_file ? f->text.base + file_off : NULL;
  return f->cb->part != NULL ? f->cb->part(f->ud, &part) : 0;
}

static int emit(sgw_form_t *f, const char *at, size_t len) {
  if (len == 0 || f->state != S_DATA || f->cb->data == NULL)
    return 0;
  return f->cb->data(f->ud, at, len);
}

/* Scans for the delimiter from p[*i]; body bytes before it go to `data`
 * (dropped in the preamble). Returns 1 at a delimiter (*i after it), 0
 * at the end of the piece (a partial match held back), or a callback's
 * return value. */
static int scan(sgw_form_t *f, const char *p, size_t len, size_t *i) {
  size_t run = *i, j = *i;
  int rc;

  while (j < len) {
    if (f->matched == 0) {
      const char *cr = memchr(p + j, '\r', len - j);
      if (cr == NULL) {
        j = len;
        break;
      }
      j = (size_t)(cr - p) + 1;
      f->matched = 1;
      continue;
    }
    if (p[j] == f->delim[f->matched]) {
      j++;
      if (++f->matched < f->dlen)
        continue;
      /* A delimiter: the body before it ends here. */
      rc = emit(f, p + run, j - (f->dlen - f->held) - run);
      f->matched = f->held = 0;
      *i = j;
      return rc != 0 ? rc : 1;
    }
    /* Not a delimiter after all: the bytes matched are body bytes. Those
     * from earlier pieces are a prefix of the delimiter itself. */
    if (f->held > 0) {
      if ((rc = emit(f, f->delim, f->held)) != 0)
        return rc;
      f->held = 0;
      run = 0;
    }
    f->matched = 0; /* p[j] is looked at again: it may start a match */
  }
  /* The end of the piece: what may still be a delimiter is held back. */
  rc = emit(f, p + run, len - (f->matched - f->held) - run);
  f->held = f->matched;
  *i = len;
  return rc;
}

int sgw_form_feed(sgw_form_t *f, const char *p, size_t len) {
  size_t i = 0;
  int rc = 0;

  while (i < len && rc == 0) {
    char c;
    switch (f->state) {
    case S_PREAMBLE:
    case S_DATA:
      rc = scan(f, p, len, &i);
      if (rc == 1) {
        if (f->state == S_DATA && f->cb->part_end != NULL)
          rc = f->cb->part_end(f->ud);
        else
          rc = 0;
        f->state = S_AFTER;
      }
      break;
    case S_AFTER:
      c = p[i++];
      if (c == '-')
        f->state = S_AFTER_DASH;
      else if (c == '\r')
        f->state = S_AFTER_CR;
      else if (!is_space(c))
        rc = SGW_EINVAL;
      break;
    case S_AFTER_DASH:
      rc = p[i++] == '-' ? 0 : SGW_EINVAL;
      f->state = S_DONE;
      break;
    case S_AFTER_CR:
      rc = p[i++] == '\n' ? 0 : SGW_EINVAL;
      f->state = S_HEADERS;
      sgw_buf_reset(&f->head);
      break;
    case S_HEADERS: {
      /* Up to the blank line, within the limit. */
      size_t start = i;
      while (i < len) {
        size_t n = f->head.len + (i - start);
        c = p[i++];
        if (n + 1 > SGW_FORM_MAX_HEAD) {
          rc = SGW_ERANGE;
          break;
        }
        if (c != '\n')
          continue;
        if ((rc = sgw_buf_append(&f->head, p + start, i - start)) < 0)
          break;
        start = i;
        if ((f->head.len == 2 && f->head.base[0] == '\r') ||
            (f->head.len >= 4 &&
             memcmp(f->head.base + f->head.len - 4, "\r\n\r\n", 4) == 0)) {
          f->state = S_DATA;
          rc = form_part_begin(f);
          break;
        }
      }
      if (rc == 0 && f->state == S_HEADERS)
        rc = sgw_buf_append(&f->head, p + start, i - start);
      break;
    }
    case S_DONE:
      return 0;
    default:
      return SGW_EINVAL;
    }
  }
  if (rc != 0)
    f->state = S_FAILED;
  return rc;
}
