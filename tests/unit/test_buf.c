/* The growable buffer: growth, NUL termination, formatting, reset; the
 * integer formatter against the C library's printf("%lld"). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "signgw/buf.h"
#include "signgw/error.h"
#include "test.h"

static void test_init_and_empty_append(void) {
  sgw_buf_t b;

  test_case("fresh buffer is empty");
  sgw_buf_init(&b);
  CHECK_EQ_INT(b.len, 0);
  CHECK_EQ_INT(b.cap, 0);
  CHECK(b.base == NULL);

  /* The header promises a NUL-terminated base after any successful
   * append, including an empty one. */
  test_case("empty append yields \"\"");
  CHECK_EQ_INT(sgw_buf_append(&b, NULL, 0), SGW_OK);
  CHECK(b.base != NULL);
  CHECK_EQ_STR(b.base, "");
  CHECK_EQ_INT(b.len, 0);
  CHECK(b.cap >= 1);

  test_case("free returns to the initial state");
  sgw_buf_free(&b);
  CHECK(b.base == NULL);
  CHECK_EQ_INT(b.len, 0);
  CHECK_EQ_INT(b.cap, 0);
  /* Freeing twice is harmless. */
  sgw_buf_free(&b);
}

static void test_growth(void) {
  sgw_buf_t b;
  size_t i, reallocs = 0, last_cap = 0;
  int ok = 1;

  /* 10000 appends of a 7-byte piece cross many capacity doublings; the
   * content is checked at the end against the known pattern. */
  test_case("growth across many appends");
  sgw_buf_init(&b);
  for (i = 0; i < 10000; i++) {
    if (sgw_buf_append(&b, "abcdef|", 7) != SGW_OK) {
      ok = 0;
      break;
    }
    if (b.cap != last_cap) {
      reallocs++;
      last_cap = b.cap;
    }
    if (b.base[b.len] != '\0' || b.len >= b.cap)
      ok = 0;
  }
  CHECK(ok);
  CHECK_EQ_INT(b.len, 70000);
  CHECK_EQ_INT(strlen(b.base), 70000);
  for (i = 0; i < 10000 && ok; i++)
    ok = memcmp(b.base + 7 * i, "abcdef|", 7) == 0;
  CHECK(ok);
  /* Geometric growth: a handful of reallocations, not one per append. */
  CHECK(reallocs < 20);
  sgw_buf_free(&b);

  test_case("appendc and appends");
  sgw_buf_init(&b);
  for (i = 0; i < 1000; i++)
    CHECK_EQ_INT(sgw_buf_appendc(&b, (char)('a' + i % 26)), SGW_OK);
  CHECK_EQ_INT(b.len, 1000);
  CHECK_MEM(b.base, 26, "abcdefghijklmnopqrstuvwxyz", 26);
  CHECK_EQ_INT(b.base[999], 'a' + 999 % 26);
  CHECK_EQ_INT(b.base[1000], '\0');
  sgw_buf_reset(&b);
  CHECK_EQ_INT(sgw_buf_appends(&b, "hello"), SGW_OK);
  CHECK_EQ_INT(sgw_buf_appends(&b, ", world"), SGW_OK);
  CHECK_EQ_STR(b.base, "hello, world");

  test_case("embedded NUL is kept in len");
  sgw_buf_reset(&b);
  CHECK_EQ_INT(sgw_buf_append(&b, "a\0b", 3), SGW_OK);
  CHECK_EQ_INT(b.len, 3);
  CHECK_MEM(b.base, b.len, "a\0b", 3);
  sgw_buf_free(&b);
}

static void test_reserve(void) {
  sgw_buf_t b;
  char *base;

  test_case("reserve makes room for extra + NUL");
  sgw_buf_init(&b);
  CHECK_EQ_INT(sgw_buf_reserve(&b, 1000), SGW_OK);
  CHECK(b.cap >= 1001);
  CHECK_EQ_INT(b.len, 0);
  base = b.base;
  CHECK_EQ_INT(sgw_buf_append(&b, "x", 1), SGW_OK);
  CHECK(b.base == base);

  /* len + extra + 1 would wrap around: must fail cleanly, buffer intact. */
  test_case("reserve refuses sizes that overflow");
  CHECK_EQ_INT(sgw_buf_reserve(&b, SIZE_MAX), SGW_ENOMEM);
  CHECK_EQ_INT(sgw_buf_reserve(&b, SIZE_MAX - 1), SGW_ENOMEM);
  CHECK_EQ_INT(sgw_buf_append(&b, "y", SIZE_MAX - 1), SGW_ENOMEM);
  CHECK_EQ_STR(b.base, "x");
  CHECK_EQ_INT(b.len, 1);
  sgw_buf_free(&b);
}

static void test_appendf(void) {
  sgw_buf_t b;
  char big[1000];
  size_t cap;

  sgw_buf_init(&b);
  test_case("appendf into a fresh buffer");
  CHECK_EQ_INT(sgw_buf_appendf(&b, "%d-%s-%c", 42, "x", 'y'), SGW_OK);
  CHECK_EQ_STR(b.base, "42-x-y");
  CHECK_EQ_INT(b.len, 6);

  test_case("appendf appends");
  CHECK_EQ_INT(sgw_buf_appendf(&b, "|%05u|%llx", 7u, 0xabcULL), SGW_OK);
  CHECK_EQ_STR(b.base, "42-x-y|00007|abc");

  /* Longer than the spare room: exercises the second formatting pass. */
  test_case("appendf that must grow");
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cap = b.cap;
  CHECK_EQ_INT(sgw_buf_appendf(&b, "<%s>", big), SGW_OK);
  CHECK(b.cap > cap);
  CHECK_EQ_INT(b.len, 16 + 2 + 999);
  CHECK_MEM(b.base, 17, "42-x-y|00007|abc<", 17);
  CHECK_EQ_INT(b.base[b.len - 1], '>');
  CHECK_EQ_INT(b.base[b.len - 2], 'z');
  CHECK_EQ_INT(strlen(b.base), b.len);

  test_case("appendf of nothing");
  sgw_buf_free(&b);
  CHECK_EQ_INT(sgw_buf_appendf(&b, "%s", ""), SGW_OK);
  CHECK_EQ_STR(b.base, "");
  sgw_buf_free(&b);
}

static void test_reset(void) {
  sgw_buf_t b;
  char *base;
  size_t cap;

  test_case("reset keeps capacity");
  sgw_buf_init(&b);
  sgw_buf_reset(&b); /* harmless on an empty buffer */
  CHECK(b.base == NULL);
  CHECK_EQ_INT(sgw_buf_reserve(&b, 500), SGW_OK);
  CHECK_EQ_INT(sgw_buf_appends(&b, "some text"), SGW_OK);
  base = b.base;
  cap = b.cap;
  sgw_buf_reset(&b);
  CHECK_EQ_INT(b.len, 0);
  CHECK_EQ_STR(b.base, "");
  CHECK(b.base == base);
  CHECK_EQ_INT(b.cap, cap);

  test_case("append after reset reuses the memory");
  CHECK_EQ_INT(sgw_buf_appends(&b, "new"), SGW_OK);
  CHECK_EQ_STR(b.base, "new");
  CHECK(b.base == base);
  sgw_buf_free(&b);
}

static void test_int_to_dec(void) {
  static const long long vals[] = {0, 1, -1, 9, 10, -10, 99, 100,
                                   1700000000, -1700000000,
                                   999999999999999999LL, LLONG_MAX,
                                   LLONG_MIN, LLONG_MIN + 1};
  char got[SGW_INT_DEC_SIZE], want[32];
  sgw_buf_t b;

  test_case("integer to decimal, as printf writes it");
  sgw_buf_init(&b);
  for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
    int n = snprintf(want, sizeof(want), "%lld", vals[i]);
    CHECK_EQ_INT(sgw_int_to_dec(vals[i], got), n);
    CHECK_EQ_STR(got, want);
    sgw_buf_reset(&b);
    CHECK_EQ_INT(sgw_buf_append_int(&b, vals[i]), SGW_OK);
    CHECK_MEM(b.base, b.len, want, (size_t)n);
  }
  sgw_buf_free(&b);
}

int main(void) {
  test_int_to_dec();
  test_init_and_empty_append();
  test_growth();
  test_reserve();
  test_appendf();
  test_reset();
  return test_report();
}
