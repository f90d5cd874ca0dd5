#include "runtime/alog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "signgw/error.h"

/* A failing destination is reported at most this often. */
#define SGW__ALOG_WARN_EVERY_S 10

typedef struct chunk_s {
  struct chunk_s *next;
  char *data;
  size_t len;
} chunk_t;

struct sgw_alog_s {
  pthread_t thread;
  pthread_mutex_t lock;   /* the queue and the flags below */
  pthread_cond_t wake;
  chunk_t *head, **tail;
  size_t queued;          /* bytes waiting */
  int reopen, closing;
  char *path;             /* NULL: stdout */
  int fd;                 /* the writer's */
  atomic_uint_fast64_t dropped;
  time_t warned_at;       /* the writer's */
  uint64_t dropped_seen;  /* the writer's: dropped when it last said so */
};

static size_t count_lines(const char *p, size_t n) {
  size_t lines = 0;
  const char *end = p + n;

  while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    lines++;
    p++;
  }
  return lines;
}

static void chunk_free(chunk_t *c) {
  free(c->data);
  free(c);
}

static int open_file(const char *path) {
  return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/* Writer thread: says (at most every few seconds) that lines were lost. */
static void alog_warn(sgw_alog_t *a, const char *why) {
  time_t now = time(NULL);

  if (now - a->warned_at < SGW__ALOG_WARN_EVERY_S)
    return;
  a->warned_at = now;
  a->dropped_seen = atomic_load(&a->dropped);
  sgw_log_error("access log: %s; lines are dropped (%llu so far)", why,
                (unsigned long long)a->dropped_seen);
}

static void alog_write(sgw_alog_t *a, chunk_t *c) {
  size_t off = 0;

  while (off < c->len) {
    ssize_t n = write(a->fd, c->data + off, c->len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      char why[160];
      atomic_fetch_add(&a->dropped, count_lines(c->data + off, c->len - off));
      snprintf(why, sizeof(why), "write failed: %s", strerror(err));
      alog_warn(a, why);
      return;
    }
    off += (size_t)n;
  }
}

static void alog_reopen_now(sgw_alog_t *a) {
  int fd;

  if (a->path == NULL)
    return;
  if ((fd = open_file(a->path)) < 0) {
    sgw_log_error("access log: cannot reopen %s: %s; writing on to the "
                  "file already open", a->path, strerror(errno));
    return;
  }
  close(a->fd);
  a->fd = fd;
  sgw_log_info("access log reopened: %s", a->path);
}

static void *alog_main(void *arg) {
  sgw_alog_t *a = arg;

  for (;;) {
    chunk_t *c;
    int reopen, closing;

    pthread_mutex_lock(&a->lock);
    while (a->head == NULL && !a->reopen && !a->closing)
      pthread_cond_wait(&a->wake, &a->lock);
    c = a->head;
    a->head = NULL;
    a->tail = &a->head;
    a->queued = 0;
    reopen = a->reopen;
    closing = a->closing;
    a->reopen = 0;
    pthread_mutex_unlock(&a->lock);
    /* Reopen first: what is taken now was handed over before this point
     * or at the same time, and may go to the new file. */
    if (reopen)
      alog_reopen_now(a);
    while (c != NULL) {
      chunk_t *next = c->next;
      alog_write(a, c);
      chunk_free(c);
      c = next;
    }
    if (atomic_load(&a->dropped) != a->dropped_seen)
      alog_warn(a, "the destination does not keep up");
    if (closing) {
      pthread_mutex_lock(&a->lock);
      int more = a->head != NULL;
      pthread_mutex_unlock(&a->lock);
      if (!more)
        break;
    }
  }
  return NULL;
}

int sgw_alog_open(const char *dest, sgw_alog_t **out, char *err,
                  size_t errlen) {
  sgw_alog_t *a = calloc(1, sizeof(*a));
  int rc;

  *out = NULL;
  if (a == NULL) {
    snprintf(err, errlen, "access log: out of memory");
    return SGW_ENOMEM;
  }
  a->tail = &a->head;
  a->fd = STDOUT_FILENO;
  if (strcmp(dest, "-") != 0) {
    if ((a->path = strdup(dest)) == NULL) {
      free(a);
      snprintf(err, errlen, "access log: out of memory");
      return SGW_ENOMEM;
    }
    if ((a->fd = open_file(dest)) < 0) {
      snprintf(err, errlen, "access log: cannot open %s: %s", dest,
               strerror(errno));
      free(a->path);
      free(a);
      return SGW_EIO;
    }
  }
  pthread_mutex_init(&a->lock, NULL);
  pthread_cond_init(&a->wake, NULL);
  if ((rc = pthread_create(&a->thread, NULL, alog_main, a)) != 0) {
    snprintf(err, errlen, "access log: cannot start its thread: %s",
             strerror(rc));
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    if (a->path != NULL)
      close(a->fd);
    free(a->path);
    free(a);
    return SGW_EIO;
  }
  *out = a;
  return 0;
}

void sgw_alog_submit(sgw_alog_t *a, sgw_buf_t *b) {
  chunk_t *c;

  if (b->len == 0)
    return;
  if ((c = malloc(sizeof(*c))) == NULL) {
    atomic_fetch_add(&a->dropped, count_lines(b->base, b->len));
    sgw_buf_reset(b);
    return;
  }
  c->next = NULL;
  c->data = b->base;
  c->len = b->len;
  sgw_buf_init(b);
  pthread_mutex_lock(&a->lock);
  if (a->queued + c->len > SGW_ALOG_MAX_QUEUED) {
    pthread_mutex_unlock(&a->lock);
    atomic_fetch_add(&a->dropped, count_lines(c->data, c->len));
    chunk_free(c);
    return;
  }
  *a->tail = c;
  a->tail = &c->next;
  a->queued += c->len;
  pthread_cond_signal(&a->wake);
  pthread_mutex_unlock(&a->lock);
}

void sgw_alog_reopen(sgw_alog_t *a) {
  pthread_mutex_lock(&a->lock);
  a->reopen = 1;
  pthread_cond_signal(&a->wake);
  pthread_mutex_unlock(&a->lock);
}

uint64_t sgw_alog_dropped(sgw_alog_t *a) { return atomic_load(&a->dropped); }

void sgw_alog_close(sgw_alog_t *a) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->lock);
  a->closing = 1;
  pthread_cond_signal(&a->wake);
  pthread_mutex_unlock(&a->lock);
  pthread_join(a->thread, NULL);
  if (atomic_load(&a->dropped) > 0)
    sgw_log_warn("access log: %llu lines were dropped in all",
                 (unsigned long long)atomic_load(&a->dropped));
  if (a->path != NULL)
    close(a->fd);
  pthread_mutex_destroy(&a->lock);
  pthread_cond_destroy(&a->wake);
  free(a->path);
  free(a);
}
