/* The multipart/form-data reader of the dev bucket (src/dev/form.c), and
 * its check of object keys (sgw_store_key_check, src/dev/store.c).
 *
 * Bodies are the examples of HTML 4.01 section 17.13.4 and RFC 7578
 * section 4, and variants whose file contents look like the start of a
 * delimiter. Each is fed whole, split in two at every position, and byte
 * by byte: the parts seen must be the same every way, and what they hold
 * is written out by hand below (never produced by the code under test). */
#include <stdlib.h>
#include <string.h>

#include "dev/form.h"
#include "dev/store.h"
#include "signgw/error.h"
#include "test.h"

/* What the callbacks saw: "[name|filename|type]body<end>" per part. */
typedef struct seen_s {
  sgw_buf_t log;
  int stop_at_part; /* return 7 from the part callback with this index */
  int parts;
} seen_t;

static int on_part(void *ud, const sgw_form_part_t *p) {
  seen_t *s = ud;

  if (s->parts++ == s->stop_at_part)
    return 7;
  sgw_buf_appendc(&s->log, '[');
  sgw_buf_append(&s->log, p->name, p->name_len);
  sgw_buf_appendc(&s->log, '|');
  if (p->filename != NULL)
    sgw_buf_append(&s->log, p->filename, p->filename_len);
  else
    sgw_buf_appends(&s->log, "-");
  sgw_buf_appendc(&s->log, '|');
  if (p->type != NULL)
    sgw_buf_append(&s->log, p->type, p->type_len);
  sgw_buf_appendc(&s->log, ']');
  return 0;
}

static int on_data(void *ud, const char *at, size_t len) {
  seen_t *s = ud;

  if (!CHECK(len > 0)) /* never an empty piece */
    return 0;
  sgw_buf_append(&s->log, at, len);
  return 0;
}

static int on_end(void *ud) {
  seen_t *s = ud;

  sgw_buf_appends(&s->log, "<end>");
  return 0;
}

static const sgw_form_cb_t cbs = {on_part, on_data, on_end};

/* Feeds body in pieces: cut > 0 splits once there; cut == 0 whole;
 * cut < 0 byte by byte. Returns the first non-zero feed result. */
static int run(const char *ct, const char *body, size_t len, long cut,
               seen_t *s, int *done) {
  sgw_form_t f;
  int rc = sgw_form_init(&f, ct, strlen(ct), &cbs, s);

  if (rc == 0) {
    if (cut == 0) {
      rc = sgw_form_feed(&f, body, len);
    } else if (cut > 0) {
      rc = sgw_form_feed(&f, body, (size_t)cut);
      if (rc == 0)
        rc = sgw_form_feed(&f, body + cut, len - (size_t)cut);
    } else {
      for (size_t i = 0; i < len && rc == 0; i++)
        rc = sgw_form_feed(&f, body + i, 1);
    }
  }
  *done = sgw_form_done(&f);
  sgw_form_free(&f);
  return rc;
}

/* Every way of feeding `body` gives `want` and the closing delimiter. */
static void check_splits(const char *name, const char *ct, const char *body,
                         size_t len, const char *want, size_t want_len) {
  for (long cut = -1; cut <= (long)len; cut++) {
    seen_t s = {.stop_at_part = -1};
    int done = 0;
    char label[160];
    snprintf(label, sizeof(label), "%s, %s %ld", name,
             cut < 0 ? "byte by byte" : cut == 0 ? "whole" : "split at", cut);
    test_case(label);
    sgw_buf_init(&s.log);
    if (CHECK_EQ_INT(run(ct, body, len, cut, &s, &done), 0) &&
        CHECK_EQ_INT(done, 1))
      CHECK_MEM(s.log.base, s.log.len, want, want_len);
    sgw_buf_free(&s.log);
    if (test__failed > 20)
      return; /* one broken case would print thousands of lines */
  }
}

/* The wanted transcript is a literal too (it may hold a NUL). */
#define check_all_splits(name, ct, body, want)                                 \
  check_splits(name, ct, body, sizeof(body) - 1, want, sizeof(want) - 1)

/* HTML 4.01, 17.13.4: a text field and one file. */
static void test_html401(void) {
  static const char body[] =
      "--AaB03x\r\n"
      "Content-Disposition: form-data; name=\"submit-name\"\r\n"
      "\r\n"
      "Larry\r\n"
      "--AaB03x\r\n"
      "Content-Disposition: form-data; name=\"files\"; "
      "filename=\"file1.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "... contents of file1.txt ...\r\n"
      "--AaB03x--\r\n";
  check_all_splits("html 4.01", "multipart/form-data; boundary=AaB03x",
                   body,
                   "[submit-name|-|]Larry<end>"
                   "[files|file1.txt|text/plain]... contents of file1.txt "
                   "...<end>");
}

/* RFC 7578 section 4 style: header names in lower case, a quoted
 * boundary, a preamble and an epilogue, charset parameters. */
static void test_rfc7578(void) {
  static const char body[] =
      "This is the preamble. It is to be ignored.\r\n"
      "--AaB03x\r\n"
      "content-disposition: form-data; name=\"field1\"\r\n"
      "content-type: text/plain;charset=UTF-8\r\n"
      "content-transfer-encoding: quoted-printable\r\n"
      "\r\n"
      "Joe owes =E2=82=AC100.\r\n"
      "--AaB03x--\r\n"
      "This is the epilogue. --AaB03x\r\n";
  check_all_splits("rfc 7578", "Multipart/Form-Data; Boundary=\"AaB03x\"",
                   body,
                   "[field1|-|text/plain;charset=UTF-8]Joe owes "
                   "=E2=82=AC100.<end>");
}

/* File bytes that start like the delimiter, CR runs, a NUL, and a part
 * with an empty body: nothing may be lost or invented at any split. */
static void test_lookalikes(void) {
  static const char body[] =
      "--b\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
      "\r\n"
      "\r\r\n\r\n-\r\n--\r\n--a\r\n-b\r\r\n--\r\n--c\0--b\r\n"
      "\r\n--b\r\n"
      "Content-Disposition: form-data; name=\"empty\"\r\n"
      "\r\n"
      "\r\n--b  \t\r\n"
      "Content-Disposition: form-data; name=\"last\"\r\n"
      "\r\n"
      "z\r\n--b--";
  check_all_splits("delimiter look-alikes", "multipart/form-data; boundary=b",
                   body,
                   "[file|x.bin|]\r\r\n\r\n-\r\n--\r\n--a\r\n-b\r\r\n--\r\n"
                   "--c\0--b\r\n<end>"
                   "[empty|-|]<end>"
                   "[last|-|]z<end>");
}

/* Browsers escape a quote in a file name as %22; other clients as \". */
static void test_quoted_names(void) {
  static const char body[] =
      "--q\r\n"
      "Content-Disposition: form-data; filename=\"a\\\"b;c.jpg\"; "
      "name=\"we;ird\"\r\n"
      "\r\n"
      "1\r\n--q--\r\n";
  check_all_splits("quoted names", "multipart/form-data; boundary=q",
                   body, "[we;ird|a\"b;c.jpg|]1<end>");
}

static void expect_fail(const char *name, const char *ct, const char *body,
                        size_t len, int want) {
  seen_t s = {.stop_at_part = -1};
  int done = 0;

  test_case(name);
  sgw_buf_init(&s.log);
  CHECK_EQ_INT(run(ct, body, len, 0, &s, &done), want);
  CHECK_EQ_INT(done, 0);
  sgw_buf_free(&s.log);
}

static void test_refusals(void) {
  static const char ok[] = "--b\r\nContent-Disposition: form-data; "
                           "name=\"a\"\r\n\r\n1\r\n--b--\r\n";
  static const char noname[] =
      "--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\n1\r\n";
  static const char nodisp[] = "--b\r\nContent-Type: text/plain\r\n\r\n1\r\n";
  static const char badafter[] = "--b\r\nContent-Disposition: form-data; "
                                 "name=\"a\"\r\n\r\n1\r\n--bX\r\n";
  static const char fold[] = "--b\r\nContent-Disposition: form-data;\r\n "
                             "name=\"a\"\r\n\r\n1\r\n";
  char *big;
  sgw_form_t f;

  test_case("content types without a usable boundary");
  CHECK_EQ_INT(sgw_form_init(&f, "text/plain; boundary=b", 22, &cbs, NULL),
               SGW_EINVAL);
  sgw_form_free(&f);
  CHECK_EQ_INT(sgw_form_init(&f, "multipart/form-data", 19, &cbs, NULL),
               SGW_EINVAL);
  sgw_form_free(&f);
  CHECK_EQ_INT(sgw_form_init(&f, "multipart/form-data; boundary=", 30, &cbs,
                             NULL),
               SGW_EINVAL);
  sgw_form_free(&f);
  CHECK_EQ_INT(sgw_form_init(&f, "multipart/form-data; boundary=a\rb", 33,
                             &cbs, NULL),
               SGW_EINVAL);
  sgw_form_free(&f);
  CHECK_EQ_INT(sgw_form_init(&f, "multipart/form-data; boundary=\"ab ", 34,
                             &cbs, NULL),
               SGW_EINVAL);
  sgw_form_free(&f);
  CHECK_EQ_INT(sgw_form_init(&f,
                             "multipart/form-data; boundary="
                             "12345678901234567890123456789012345678901234567"
                             "890123456789012345678901",
                             101, &cbs, NULL),
               SGW_EINVAL);
  sgw_form_free(&f);

  expect_fail("a part without a name", "multipart/form-data; boundary=b",
              noname, sizeof(noname) - 1, SGW_EINVAL);
  expect_fail("a part without Content-Disposition",
              "multipart/form-data; boundary=b", nodisp, sizeof(nodisp) - 1, SGW_EINVAL);
  expect_fail("bytes after a delimiter", "multipart/form-data; boundary=b",
              badafter, sizeof(badafter) - 1, SGW_EINVAL);
  expect_fail("an obsolete fold", "multipart/form-data; boundary=b",
              fold, sizeof(fold) - 1, SGW_EINVAL);

  test_case("a header block past the limit");
  big = malloc(SGW_FORM_MAX_HEAD + 64);
  if (CHECK(big != NULL)) {
    size_t n = (size_t)sprintf(big, "--b\r\nX-Pad: ");
    memset(big + n, 'x', SGW_FORM_MAX_HEAD);
    expect_fail("a header block past the limit",
                "multipart/form-data; boundary=b", big,
                n + SGW_FORM_MAX_HEAD, SGW_ERANGE);
  }
  free(big);

  test_case("a callback stops the parser with its own value");
  {
    seen_t s = {.stop_at_part = 0};
    int done = 0;
    sgw_buf_init(&s.log);
    CHECK_EQ_INT(run("multipart/form-data; boundary=b", ok, sizeof(ok) - 1, 0, &s,
                     &done),
                 7);
    sgw_buf_free(&s.log);
  }

  test_case("a body cut short is not done");
  {
    seen_t s = {.stop_at_part = -1};
    int done = 1;
    sgw_buf_init(&s.log);
    CHECK_EQ_INT(run("multipart/form-data; boundary=b", ok, sizeof(ok) - 8,
                     0, &s, &done),
                 0);
    CHECK_EQ_INT(done, 0);
    sgw_buf_free(&s.log);
  }
}

/* Keys the data directory refuses, and ones it takes, by the rules in
 * store.h (COS's 850-byte limit, 255 bytes a segment). */
static void test_keys(void) {
  static const struct {
    const char *key;
    size_t len; /* 0: strlen */
    int want;
  } cases[] = {
      {"uploads/20261130/1_abc.jpg", 0, 0},
      {"a", 0, 0},
      {"...", 0, 0},
      {".hidden/x.jpg", 0, 0},
      {"a/.b/c..d", 0, 0},
      {"\xe4\xb8\xad\xe6\x96\x87/\xe6\x96\x87 (1).png", 0, 0},
      {"", 0, SGW_EINVAL},
      {"..", 0, SGW_EINVAL},
      {".", 0, SGW_EINVAL},
      {"a/../b", 0, SGW_EINVAL},
      {"a/./b", 0, SGW_EINVAL},
      {"../etc/passwd", 0, SGW_EINVAL},
      {"a/..", 0, SGW_EINVAL},
      {"/a", 0, SGW_EINVAL},
      {"a/", 0, SGW_EINVAL},
      {"a//b", 0, SGW_EINVAL},
      {"a\0b", 3, SGW_EINVAL},
      {"a\nb", 0, SGW_EINVAL},
      {"a\x7f", 0, SGW_EINVAL},
  };
  char big[900];

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t n = cases[i].len ? cases[i].len : strlen(cases[i].key);
    test_case(cases[i].key);
    CHECK_EQ_INT(sgw_store_key_check(cases[i].key, n), cases[i].want);
  }
  test_case("key lengths");
  memset(big, 'k', sizeof(big));
  CHECK_EQ_INT(sgw_store_key_check(big, 255), 0);
  CHECK_EQ_INT(sgw_store_key_check(big, 256), SGW_ERANGE);
  for (size_t i = 200; i < sizeof(big); i += 200)
    big[i] = '/';
  CHECK_EQ_INT(sgw_store_key_check(big, 850), 0);
  CHECK_EQ_INT(sgw_store_key_check(big, 851), SGW_ERANGE);
  CHECK_EQ_INT(sgw_store_key_check(NULL, 0), SGW_EINVAL);
}

int main(void) {
  test_keys();
  test_html401();
  test_rfc7578();
  test_lookalikes();
  test_quoted_names();
  test_refusals();
  return test_report();
}
