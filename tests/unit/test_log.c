/* The log's secret redaction: it keeps its own copies, counts holders,
 * takes any number of secrets, and stays correct while worker threads log
 * and the main thread adds and drops secrets (credential rotation). The
 * log's output (stderr) goes to a temporary file that the checks read. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "test.h"

/* Everything logged since the last call. */
static char *take_output(void) {
  static long done;
  long end;
  char *text;

  fflush(stderr);
  end = lseek(STDERR_FILENO, 0, SEEK_END);
  text = calloc(1, (size_t)(end - done) + 1);
  if (pread(STDERR_FILENO, text, (size_t)(end - done), done) < 0)
    text[0] = '\0';
  done = end;
  return text;
}

static void skip_output(void) { free(take_output()); }

static int logged(const char *needle) {
  char *text = take_output();
  int found = strstr(text, needle) != NULL;

  free(text);
  return found;
}

static void test_basics(void) {
  char buf[64];

  test_case("a registered secret is redacted");
  CHECK_EQ_INT(sgw_log_add_secret("sgwUnitSecretOne-0123"), 0);
  sgw_log_info("key sgwUnitSecretOne-0123 here");
  skip_output();
  sgw_log_info("key sgwUnitSecretOne-0123 here");
  {
    char *text = take_output();
    CHECK(strstr(text, "sgwUnitSecretOne") == NULL);
    CHECK(strstr(text, "key [redacted] here") != NULL);
    free(text);
  }

  test_case("the log keeps its own copy");
  snprintf(buf, sizeof(buf), "sgwUnitSecretTwo-4567");
  CHECK_EQ_INT(sgw_log_add_secret(buf), 0);
  memset(buf, 'x', strlen(buf)); /* the caller's buffer is gone */
  sgw_log_info("sgwUnitSecretTwo-4567");
  CHECK(!logged("sgwUnitSecretTwo"));

  test_case("two holders: the secret stays until both drop it");
  CHECK_EQ_INT(sgw_log_add_secret("sgwUnitSecretTwo-4567"), 0);
  sgw_log_remove_secret("sgwUnitSecretTwo-4567");
  sgw_log_info("sgwUnitSecretTwo-4567");
  CHECK(!logged("sgwUnitSecretTwo"));
  sgw_log_remove_secret("sgwUnitSecretTwo-4567");
  sgw_log_info("sgwUnitSecretTwo-4567");
  CHECK(logged("sgwUnitSecretTwo-4567"));

  test_case("short strings are not secrets");
  CHECK_EQ_INT(sgw_log_add_secret("short"), 0);
  sgw_log_info("a short word");
  CHECK(logged("short"));
  sgw_log_remove_secret("short");

  test_case("many secrets at once");
  for (int i = 0; i < 40; i++) {
    snprintf(buf, sizeof(buf), "sgwUnitMany-%02d-secret", i);
    CHECK_EQ_INT(sgw_log_add_secret(buf), 0);
  }
  sgw_log_info("sgwUnitMany-00-secret sgwUnitMany-39-secret sgwUnitMany-17-secret");
  CHECK(!logged("sgwUnitMany"));
  for (int i = 0; i < 40; i++) {
    snprintf(buf, sizeof(buf), "sgwUnitMany-%02d-secret", i);
    sgw_log_remove_secret(buf);
  }
  sgw_log_remove_secret("sgwUnitSecretOne-0123");
}

/* ---- threads logging while secrets come and go ---- */

#define LOGGERS 4
#define LINES 3000
#define ROTATIONS 400

static void *logger(void *arg) {
  int id = (int)(intptr_t)arg;

  for (int i = 0; i < LINES; i++)
    sgw_log_info("thread %d line %d: sgwUnitStableSecret-abcdef and "
                 "sgwUnitRotating-%03d-secret", id, i, i % ROTATIONS);
  return NULL;
}

static void test_threads(void) {
  pthread_t t[LOGGERS];
  char buf[64];
  char *text;

  test_case("threads log while secrets are added and dropped");
  skip_output();
  CHECK_EQ_INT(sgw_log_add_secret("sgwUnitStableSecret-abcdef"), 0);
  for (int i = 0; i < LOGGERS; i++)
    pthread_create(&t[i], NULL, logger, (void *)(intptr_t)i);
  for (int i = 0; i < ROTATIONS; i++) {
    snprintf(buf, sizeof(buf), "sgwUnitRotating-%03d-secret", i);
    sgw_log_add_secret(buf);
    if (i > 0) {
      snprintf(buf, sizeof(buf), "sgwUnitRotating-%03d-secret", i - 1);
      sgw_log_remove_secret(buf);
    }
  }
  for (int i = 0; i < LOGGERS; i++)
    pthread_join(t[i], NULL);
  text = take_output();
  CHECK(strstr(text, "sgwUnitStableSecret") == NULL);
  /* Every line arrived whole. */
  {
    int lines = 0;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
      lines++;
    CHECK_EQ_INT(lines, LOGGERS * LINES);
  }
  free(text);
  snprintf(buf, sizeof(buf), "sgwUnitRotating-%03d-secret", ROTATIONS - 1);
  sgw_log_remove_secret(buf);
  sgw_log_remove_secret("sgwUnitStableSecret-abcdef");
}

int main(void) {
  char path[] = "/tmp/sgw-test-log-XXXXXX";
  int fd = mkstemp(path), saved = dup(STDERR_FILENO);

  if (fd < 0 || saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
    perror("test_log");
    return 1;
  }
  unlink(path);
  close(fd);
  test_basics();
  test_threads();
  dup2(saved, STDERR_FILENO); /* sanitizer reports at exit stay visible */
  close(saved);
  return test_report();
}
