/* libFuzzer target: the dev bucket's multipart/form-data reader and its
 * object key check (src/dev/form.c, the pure part of src/dev/store.c).
 *
 * Input: "<boundary>\n<split byte><body>". The body is fed whole and then
 * in pieces cut by the split byte's rule; both runs must see the same
 * parts, bytes and result (no piece boundary may change what is read),
 * and no part may carry more bytes than the body has. Every part name and
 * body is also run through the key check, which must agree with a plain
 * restatement of its rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/form.h"
#include "dev/store.h"
#include "signgw/buf.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

typedef struct seen_s {
  sgw_buf_t log;
  size_t data;
} seen_t;

/* The store's rules, said again without sharing its code. */
static int key_ok(const char *k, size_t n) {
  size_t start = 0;

  if (n == 0 || n > SGW_STORE_MAX_KEY)
    return 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && k[i] != '/') {
      if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] == 0x7f)
        return 0;
      continue;
    }
    if (i == start || i - start > SGW_STORE_MAX_SEGMENT ||
        (i - start == 1 && k[start] == '.') ||
        (i - start == 2 && k[start] == '.' && k[start + 1] == '.'))
      return 0;
    start = i + 1;
  }
  return 1;
}

static void check_key(const char *k, size_t n) {
  CHECK((sgw_store_key_check(k, n) == 0) == key_ok(k, n));
}

static int on_part(void *ud, const sgw_form_part_t *p) {
  seen_t *s = ud;

  check_key(p->name, p->name_len);
  sgw_buf_appendc(&s->log, '[');
  sgw_buf_append(&s->log, p->name, p->name_len);
  sgw_buf_appendc(&s->log, '|');
  if (p->filename)
    sgw_buf_append(&s->log, p->filename, p->filename_len);
  sgw_buf_appendc(&s->log, '|');
  if (p->type)
    sgw_buf_append(&s->log, p->type, p->type_len);
  sgw_buf_appendc(&s->log, ']');
  return 0;
}

static int on_data(void *ud, const char *at, size_t len) {
  seen_t *s = ud;

  CHECK(len > 0);
  s->data += len;
  sgw_buf_append(&s->log, at, len);
  return 0;
}

static int on_end(void *ud) {
  sgw_buf_appends(&((seen_t *)ud)->log, "<end>");
  return 0;
}

static const sgw_form_cb_t cbs = {on_part, on_data, on_end};

/* Feeds body; step 0 whole, else pieces of step bytes. */
static int run(const char *ct, size_t ctlen, const char *body, size_t n,
               size_t step, seen_t *s, int *done) {
  sgw_form_t f;
  int rc = sgw_form_init(&f, ct, ctlen, &cbs, s);

  for (size_t i = 0; rc == 0 && i < n; i += step ? step : n)
    rc = sgw_form_feed(&f, body + i, step && n - i > step ? step : n - i);
  *done = sgw_form_done(&f);
  sgw_form_free(&f);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data, *nl = memchr(in, '\n', size);
  seen_t a = {0}, b = {0};
  sgw_buf_t ct;
  size_t blen, step;
  const char *body;
  int ra, rb, da, db;

  check_key(in, size < 1000 ? size : 1000);
  if (nl == NULL || (size_t)(nl - in) + 2 > size)
    return 0;
  blen = (size_t)(nl - in);
  step = (unsigned char)nl[1] % 17 + 1;
  body = nl + 2;
  sgw_buf_init(&ct);
  sgw_buf_appends(&ct, "multipart/form-data; boundary=");
  sgw_buf_append(&ct, in, blen);
  sgw_buf_init(&a.log);
  sgw_buf_init(&b.log);
  ra = run(ct.base, ct.len, body, size - blen - 2, 0, &a, &da);
  rb = run(ct.base, ct.len, body, size - blen - 2, step, &b, &db);
  CHECK(a.data <= size && b.data <= size);
  /* A piece boundary changes nothing, unless the run stopped: then only
   * what came before the stop is compared (the whole run may have read
   * past it). */
  if (ra == 0 && rb == 0) {
    CHECK(da == db);
    CHECK(a.log.len == b.log.len);
    CHECK(a.log.len == 0 || memcmp(a.log.base, b.log.base, a.log.len) == 0);
  } else {
    CHECK(ra != 0 && rb != 0 && ra == rb);
  }
  sgw_buf_free(&a.log);
  sgw_buf_free(&b.log);
  sgw_buf_free(&ct);
  return 0;
}
