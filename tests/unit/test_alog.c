/* The access log's writer (src/runtime/alog.c): lines handed over by
 * several threads arrive whole and exactly once, in each thread's order;
 * renaming the file and reopening it (what logrotate and SIGUSR1 do)
 * loses none and sends later lines to the new file; a destination that
 * does not read (a FIFO nobody drains) never blocks a submitting thread,
 * and what it cannot take is counted as dropped, line for line. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/alog.h"
#include "test.h"

#define THREADS 4
#define LINES 20000

static sgw_alog_t *alog;
static char dir[64];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *submitter(void *arg) {
  long id = (long)arg;
  sgw_buf_t b;

  sgw_buf_init(&b);
  for (int i = 0; i < LINES; i++) {
    sgw_buf_appendf(&b, "{\"t\":%ld,\"n\":%d,\"pad\":\"%s\"}\n", id, i,
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    if (b.len > 4096 || i == LINES - 1)
      sgw_alog_submit(alog, &b);
  }
  sgw_buf_free(&b);
  return NULL;
}

/* Reads every line of path into the per-thread sequence check. */
static int read_lines(const char *path, int next[THREADS], int *bad) {
  FILE *f = fopen(path, "r");
  char line[256];
  int n = 0;
  long t;
  int i;

  if (f == NULL)
    return 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    n++;
    if (sscanf(line, "{\"t\":%ld,\"n\":%d,", &t, &i) != 2 || t < 0 ||
        t >= THREADS || line[strlen(line) - 1] != '\n' || i != next[t]) {
      (*bad)++;
      continue;
    }
    next[t]++;
  }
  fclose(f);
  return n;
}

/* Waits (up to 5 s) until path exists: the writer reopened it. */
static void wait_for(const char *path) {
  for (double t0 = now_s(); access(path, F_OK) != 0 && now_s() - t0 < 5;) {
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

static void test_rotation(void) {
  char path[128], old[128], err[256], line[256], last[256] = "";
  pthread_t th[THREADS];
  int next[THREADS] = {0}, bad = 0, total = 0, rotations = 0;
  sgw_buf_t late;
  FILE *f;

  test_case("threads, rename + reopen: every line once, in order");
  snprintf(path, sizeof(path), "%s/access.log", dir);
  if (!CHECK_EQ_INT(sgw_alog_open(path, &alog, err, sizeof(err)), 0)) {
    printf("    %s\n", err);
    return;
  }
  for (long i = 0; i < THREADS; i++)
    pthread_create(&th[i], NULL, submitter, (void *)i);
  /* Rotate a few times while they write. */
  for (int r = 0; r < 3; r++) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    snprintf(old, sizeof(old), "%s/access.log.%d", dir, r);
    if (rename(path, old) == 0) {
      sgw_alog_reopen(alog);
      rotations++;
    }
    wait_for(path);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  /* The last reopen is done: a line handed over now goes to the new file. */
  sgw_buf_init(&late);
  sgw_buf_appends(&late, "{\"t\":0,\"late\":1}\n");
  sgw_alog_submit(alog, &late);
  sgw_alog_close(alog);
  CHECK_EQ_INT(rotations, 3);
  /* Oldest first: each thread's lines stay in order across the files. */
  for (int r = 0; r < 3; r++) {
    snprintf(old, sizeof(old), "%s/access.log.%d", dir, r);
    total += read_lines(old, next, &bad);
    unlink(old);
  }
  total += read_lines(path, next, &bad);
  if ((f = fopen(path, "r")) != NULL) {
    while (fgets(line, sizeof(line), f) != NULL)
      strcpy(last, line);
    fclose(f);
  }
  unlink(path);
  CHECK_EQ_STR(last, "{\"t\":0,\"late\":1}\n");
  CHECK_EQ_INT(bad, 1); /* the late line is not part of a sequence */
  CHECK_EQ_INT(total, THREADS * LINES + 1);
  for (int i = 0; i < THREADS; i++)
    CHECK_EQ_INT(next[i], LINES);
}

static void *close_log(void *a) {
  sgw_alog_close(a);
  return NULL;
}

/* A FIFO that nobody reads after the first bytes: the writer blocks, the
 * queue fills, and submitting still returns at once. */
static void test_stuck_destination(void) {
  char path[128], err[256];
  const size_t line_len = 100;
  size_t lines = 0, got = 0, chunk_lines = 1000, dropped;
  double worst = 0;
  int rfd;
  char buf[65536];
  ssize_t n;

  test_case("a destination that does not read: no blocking, drops counted");
  snprintf(path, sizeof(path), "%s/fifo", dir);
  CHECK_EQ_INT(mkfifo(path, 0600), 0);
  /* Read end first (non-blocking), so the writer's open does not wait. */
  rfd = open(path, O_RDONLY | O_NONBLOCK);
  CHECK(rfd >= 0);
  if (!CHECK_EQ_INT(sgw_alog_open(path, &alog, err, sizeof(err)), 0)) {
    printf("    %s\n", err);
    close(rfd);
    return;
  }
  /* 96 MiB: more than the queue's 64 MiB plus the pipe's buffer. */
  for (size_t c = 0; c < (96u << 20) / (line_len * chunk_lines); c++) {
    sgw_buf_t b;
    double t0;
    sgw_buf_init(&b);
    for (size_t i = 0; i < chunk_lines; i++) {
      sgw_buf_appendf(&b, "%0*zu\n", (int)line_len - 1, lines);
      lines++;
    }
    t0 = now_s();
    sgw_alog_submit(alog, &b);
    if (now_s() - t0 > worst)
      worst = now_s() - t0;
  }
  CHECK(worst < 0.5);
  dropped = sgw_alog_dropped(alog); /* final: no more submits, no failures */
  CHECK(dropped > 0);
  /* Now drain it: the writer finishes what it kept. */
  fcntl(rfd, F_SETFL, 0);
  {
    pthread_t closer;
    pthread_create(&closer, NULL, close_log, alog);
    while ((n = read(rfd, buf, sizeof(buf))) > 0)
      for (ssize_t i = 0; i < n; i++)
        got += buf[i] == '\n';
    pthread_join(closer, NULL);
  }
  close(rfd);
  unlink(path);
  /* Every line is either read or dropped. */
  printf("    %zu lines submitted, %zu read, %zu dropped\n", lines, got,
         dropped);
  CHECK_EQ_INT(got + dropped, lines);
  CHECK(got > 0);
}

static void test_open_failure(void) {
  char err[256], path[160];
  sgw_alog_t *a = NULL;

  test_case("a file that cannot be opened");
  snprintf(path, sizeof(path), "%s/no/such/dir/access.log", dir);
  CHECK(sgw_alog_open(path, &a, err, sizeof(err)) < 0);
  CHECK(a == NULL);
  CHECK(strstr(err, "cannot open") != NULL);
}

int main(void) {
  snprintf(dir, sizeof(dir), "/tmp/sgw-alog-XXXXXX");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_rotation();
  test_stuck_destination();
  test_open_failure();
  rmdir(dir);
  return test_report();
}
