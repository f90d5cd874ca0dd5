#define _GNU_SOURCE /* memmem */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SGW__LOG_LINE 4096

/* A registered secret: the log's own copy, and how many holders added it
 * (two credentials may share a key). */
typedef struct log_secret_s {
  char *text;
  size_t len;
  unsigned holders;
} log_secret_t;

static sgw_log_level_t log_level = SGW_LOG_INFO;
static _Thread_local int log_worker = -1;
/* Workers log while the main thread swaps credentials: the list is only
 * touched under the lock. Logging is never on the request fast path. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_secret_t *log_secrets;
static size_t log_nsecrets, log_cap;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sgw_log_set_level(sgw_log_level_t level) { log_level = level; }

void sgw_log_set_worker(int id) { log_worker = id; }

/* Index of `secret` in the list, or log_nsecrets. Under the lock. */
static size_t log_find(const char *secret, size_t len) {
  size_t i;

  for (i = 0; i < log_nsecrets; i++)
    if (log_secrets[i].len == len && memcmp(log_secrets[i].text, secret, len) == 0)
      break;
  return i;
}

int sgw_log_add_secret(const char *secret) {
  size_t len = secret ? strlen(secret) : 0, i;
  int rc = 0;

  /* Short strings would redact ordinary words; a real secret is long. */
  if (len < 8)
    return 0;
  pthread_mutex_lock(&log_lock);
  if ((i = log_find(secret, len)) < log_nsecrets) {
    log_secrets[i].holders++;
    goto done;
  }
  if (log_nsecrets == log_cap) {
    size_t cap = log_cap ? 2 * log_cap : 4;
    log_secret_t *v = realloc(log_secrets, cap * sizeof(*v));
    if (v == NULL) {
      rc = -1;
      goto done;
    }
    log_secrets = v;
    log_cap = cap;
  }
  if ((log_secrets[i].text = malloc(len + 1)) == NULL) {
    rc = -1;
    goto done;
  }
  memcpy(log_secrets[i].text, secret, len + 1);
  log_secrets[i].len = len;
  log_secrets[i].holders = 1;
  log_nsecrets++;

done:
  pthread_mutex_unlock(&log_lock);
  return rc;
}

void sgw_log_remove_secret(const char *secret) {
  size_t len = secret ? strlen(secret) : 0, i;

  pthread_mutex_lock(&log_lock);
  if (len >= 8 && (i = log_find(secret, len)) < log_nsecrets &&
      --log_secrets[i].holders == 0) {
    memset(log_secrets[i].text, 0, len);
    free(log_secrets[i].text);
    log_secrets[i] = log_secrets[--log_nsecrets];
  }
  if (log_nsecrets == 0) {
    free(log_secrets);
    log_secrets = NULL;
    log_cap = 0;
  }
  pthread_mutex_unlock(&log_lock);
}

/* Replaces every registered secret in line[0..len) in place. Under the
 * lock. */
static size_t log_redact(char *line, size_t len, size_t cap) {
  static const char mark[] = "[redacted]";
  const size_t mlen = sizeof(mark) - 1;
  for (size_t i = 0; i < log_nsecrets; i++) {
    const char *secret = log_secrets[i].text;
    size_t slen = log_secrets[i].len;
    char *p = line;
    while ((p = memmem(p, len - (size_t)(p - line), secret, slen))) {
      size_t tail = len - (size_t)(p - line) - slen;
      if (len - slen + mlen >= cap) { /* cannot grow: blank it instead */
        memset(p, '*', slen);
        p += slen;
        continue;
      }
      memmove(p + mlen, p + slen, tail);
      memcpy(p, mark, mlen);
      len = len - slen + mlen;
      p += mlen;
    }
  }
  return len;
}

void sgw_log(sgw_log_level_t level, const char *fmt, ...) {
  char line[SGW__LOG_LINE];
  struct timespec ts;
  struct tm tm;
  size_t n;
  int r;
  va_list ap;

  if (level < log_level)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
  if (log_worker >= 0)
    r = snprintf(line + n, sizeof(line) - n, ".%03ldZ [%s] worker=%d ",
                 ts.tv_nsec / 1000000, level_names[level], log_worker);
  else
    r = snprintf(line + n, sizeof(line) - n, ".%03ldZ [%s] ",
                 ts.tv_nsec / 1000000, level_names[level]);
  n += (size_t)(r > 0 ? r : 0);
  va_start(ap, fmt);
  r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
  va_end(ap);
  if (r > 0)
    n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r : sizeof(line) - n - 2;
  pthread_mutex_lock(&log_lock);
  n = log_redact(line, n, sizeof(line) - 1);
  pthread_mutex_unlock(&log_lock);
  line[n++] = '\n';
  /* One write() per line keeps lines from different threads whole. */
  if (write(STDERR_FILENO, line, n) < 0)
    return;
}
