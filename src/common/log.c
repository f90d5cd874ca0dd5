#define _GNU_SOURCE /* memmem */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SGW__LOG_LINE 4096
#define SGW__LOG_MAX_SECRETS 8

static sgw_log_level_t log_level = SGW_LOG_INFO;
static _Thread_local int log_worker = -1;
static const char *log_secrets[SGW__LOG_MAX_SECRETS];
static int log_nsecrets;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sgw_log_set_level(sgw_log_level_t level) { log_level = level; }

void sgw_log_set_worker(int id) { log_worker = id; }

void sgw_log_add_secret(const char *secret) {
  /* Short strings would redact ordinary words; a real secret is long. */
  if (secret == NULL || strlen(secret) < 8 ||
      log_nsecrets == SGW__LOG_MAX_SECRETS)
    return;
  log_secrets[log_nsecrets++] = secret;
}

/* Replaces every registered secret in line[0..len) in place. */
static size_t log_redact(char *line, size_t len, size_t cap) {
  static const char mark[] = "[redacted]";
  const size_t mlen = sizeof(mark) - 1;
  for (int i = 0; i < log_nsecrets; i++) {
    size_t slen = strlen(log_secrets[i]);
    char *p = line;
    while ((p = memmem(p, len - (size_t)(p - line), log_secrets[i], slen))) {
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
  n = log_redact(line, n, sizeof(line) - 1);
  line[n++] = '\n';
  /* One write() per line keeps lines from different threads whole. */
  if (write(STDERR_FILENO, line, n) < 0)
    return;
}
