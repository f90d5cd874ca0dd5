/* Test-only: what the oracle vector tests and the oracle tools share.
 *
 * Vector tests (test_*_vectors.c): CHECK counts a passed or a failed
 * check (a failure prints its file, line and message, and the test
 * carries on, so one run shows every failure); oracle_load_json reads a
 * committed vectors file; oracle_report ends main with the line
 * "N passed, N failed" and the exit status.
 *
 * Tools (*_tool.c, driven by the live_*.js oracles): one JSON object per
 * input line, one output line per input line, so the two sides stay
 * aligned. oracle_each_line reads stdin and hands each object to the
 * tool; an answer is oracle_print_json or oracle_print_error. */
#ifndef SGW_TESTS_ORACLE_ORACLE_H
#define SGW_TESTS_ORACLE_ORACLE_H

#include <stdio.h>

#include <cjson/cJSON.h>

extern int oracle_passed, oracle_failed;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      oracle_passed++;                            \
    } else {                                      \
      oracle_failed++;                            \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

/* The JSON document in file `path` (the caller deletes it), or NULL when
 * the file cannot be read or is not JSON. */
cJSON *oracle_load_json(const char *path);

/* Prints "N passed, N failed"; returns main's exit status (1 on any
 * failure). */
int oracle_report(void);

/* "ERROR <code> <what>" on a line of its own. */
void oracle_print_error(int code, const char *what);

/* Prints `o` as one line of JSON and deletes it (NULL, or a failure to
 * print, gives an error line instead). */
void oracle_print_json(cJSON *o);

/* Calls fn(object, arg) for every line of stdin that is a JSON object,
 * answers any other line with an error line, and flushes stdout after
 * each line (the driver may wait for it). The object is deleted after
 * fn returns. */
void oracle_each_line(void (*fn)(const cJSON *o, void *arg), void *arg);

#endif
