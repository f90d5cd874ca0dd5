/* A tiny assertion helper for the unit tests.
 *
 * Each test program is one translation unit: it includes this header, sets
 * the case it is checking with test_case("..."), runs CHECK* macros, and
 * ends main() with `return test_report();`. A failed check prints the file,
 * line, current case and expected vs got, then the program carries on so
 * one run shows every failure. The last line is "N passed, N failed" and
 * the exit status is non-zero if anything failed. Everything goes to stdout
 * so failures and the summary stay in order. The helpers are static inline
 * so a test that does not use one of them compiles without warnings. */
#ifndef SGW_TEST_H
#define SGW_TEST_H

#include <stdio.h>
#include <string.h>

static int test__passed;
static int test__failed;
static const char *test__case = "(no case)";

/* Names the case the following checks belong to. */
static inline void test_case(const char *name) { test__case = name; }

/* Prints bytes as a C literal, escaping anything unprintable, so that
 * mismatches in control characters or UTF-8 are visible. */
static inline void test__print_bytes(const void *p, size_t len) {
  const unsigned char *s = p;
  size_t i;

  if (p == NULL) {
    fputs("(null)", stdout);
    return;
  }
  fputc('"', stdout);
  for (i = 0; i < len; i++) {
    if (s[i] == '"' || s[i] == '\\')
      fprintf(stdout, "\\%c", s[i]);
    else if (s[i] >= 0x20 && s[i] < 0x7f)
      fputc(s[i], stdout);
    else
      fprintf(stdout, "\\x%02x", s[i]);
  }
  fprintf(stdout, "\" (%zu bytes)", len);
}

static inline int test__fail_head(const char *file, int line,
                                  const char *what) {
  test__failed++;
  fprintf(stdout, "%s:%d: FAIL [%s] %s\n", file, line, test__case, what);
  /* If a later check crashes the program, this report must not be lost
   * in the stdio buffer. */
  fflush(stdout);
  return 0;
}

static inline int test__check(int ok, const char *file, int line,
                              const char *expr) {
  if (ok) {
    test__passed++;
    return 1;
  }
  return test__fail_head(file, line, expr);
}

static inline int test__check_int(long long got, long long want,
                                  const char *file, int line,
                                  const char *expr) {
  if (got == want) {
    test__passed++;
    return 1;
  }
  test__fail_head(file, line, expr);
  fprintf(stdout, "    expected %lld\n    got      %lld\n", want, got);
  fflush(stdout);
  return 0;
}

static inline int test__check_mem(const void *got, size_t got_len,
                                  const void *want, size_t want_len,
                                  const char *file, int line,
                                  const char *expr) {
  if (got != NULL && want != NULL && got_len == want_len &&
      (want_len == 0 || memcmp(got, want, want_len) == 0)) {
    test__passed++;
    return 1;
  }
  test__fail_head(file, line, expr);
  fputs("    expected ", stdout);
  test__print_bytes(want, want_len);
  fputs("\n    got      ", stdout);
  test__print_bytes(got, got_len);
  fputc('\n', stdout);
  fflush(stdout);
  return 0;
}

static inline int test__check_str(const char *got, const char *want,
                                  const char *file, int line,
                                  const char *expr) {
  return test__check_mem(got, got ? strlen(got) : 0, want,
                         want ? strlen(want) : 0, file, line, expr);
}

/* Each macro evaluates to 1 on success and 0 on failure, so a test can
 * skip checks that would only repeat the same failure. */
#define CHECK(cond) test__check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(got, want)                                                \
  test__check_int((long long)(got), (long long)(want), __FILE__, __LINE__,     \
                  #got " == " #want)
#define CHECK_EQ_STR(got, want)                                                \
  test__check_str((got), (want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_MEM(got, got_len, want, want_len)                                \
  test__check_mem((got), (got_len), (want), (want_len), __FILE__, __LINE__,    \
                  #got " == " #want)

static inline int test_report(void) {
  printf("%d passed, %d failed\n", test__passed, test__failed);
  return test__failed != 0;
}

#endif
