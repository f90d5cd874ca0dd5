#include "runtime/watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "runtime/sources.h"
#include "signgw/error.h"

#define SGW__WATCH_MAX_WAIT_MS 800 /* report even if saves never stop */
#define SGW__WATCH_MAX_LISTED 20

struct sgw_fent_s {
  char *path;
  struct timespec mtime, ctim;
  off_t size;
  ino_t ino;
};

typedef struct scan_s {
  sgw_walk_t walk;
  sgw_fent_t *v;
  size_t n, cap;
  char **unread;          /* paths that could not be read this time */
  size_t nunread;
  int err;                /* errno of the first of them, for the log */
} scan_t;

static void scan_free(sgw_fent_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i].path);
  free(v);
}

static int scan_push(scan_t *s, sgw_fent_t e) {
  if (s->n == SGW_SOURCES_MAX_FILES) {
    free(e.path);
    return 0; /* a runaway folder: watch what fits */
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    sgw_fent_t *v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL) {
      free(e.path);
      return SGW_ENOMEM;
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = e;
  return 0;
}

static int scan_add(scan_t *s, const char *path, const struct stat *st) {
  sgw_fent_t e = {.path = strdup(path), .mtime = st->st_mtim,
                  .ctim = st->st_ctim, .size = st->st_size, .ino = st->st_ino};

  return e.path ? scan_push(s, e) : SGW_ENOMEM;
}

static int scan_file(sgw_walk_t *w, const char *path, size_t root_len,
                     const struct stat *st) {
  (void)root_len;
  return scan_add(w->data, path, st);
}

/* Not readable now (no descriptors left, say): remembered, so that what
 * the last scan saw there is kept rather than reported as deleted. */
static int scan_unread(scan_t *s, const char *path, int e) {
  char **v = realloc(s->unread, (s->nunread + 1) * sizeof(*v));

  if (v == NULL)
    return SGW_ENOMEM;
  s->unread = v;
  if ((v[s->nunread] = strdup(path)) == NULL)
    return SGW_ENOMEM;
  s->nunread++;
  if (s->err == 0)
    s->err = e;
  return 0;
}

static int scan_error(sgw_walk_t *w, const char *path, int e) {
  return scan_unread(w->data, path, e);
}

/* Whether `path` is `dir` or lies below it. */
static int below(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int unread(const scan_t *s, const char *path) {
  for (size_t i = 0; i < s->nunread; i++)
    if (below(path, s->unread[i]))
      return 1;
  return 0;
}

static int fent_cmp(const void *a, const void *b) {
  return strcmp(((const sgw_fent_t *)a)->path, ((const sgw_fent_t *)b)->path);
}

static void scan_fini(scan_t *s) {
  for (size_t i = 0; i < s->nunread; i++)
    free(s->unread[i]);
  free(s->unread);
  s->unread = NULL;
  s->nunread = 0;
}

/* Below an unreadable path, the entries of the last scan stand in for
 * what could not be seen (a partial read of a folder is dropped). */
static int scan_keep_unread(sgw_watch_t *w, scan_t *s) {
  size_t j = 0;
  int rc = 0;

  for (size_t i = 0; i < s->n; i++) {
    if (unread(s, s->v[i].path))
      free(s->v[i].path);
    else
      s->v[j++] = s->v[i];
  }
  s->n = j;
  for (size_t i = 0; rc == 0 && i < w->nsnap; i++) {
    sgw_fent_t e = w->snap[i];
    if (!unread(s, e.path))
      continue;
    if ((e.path = strdup(e.path)) == NULL)
      return SGW_ENOMEM;
    rc = scan_push(s, e);
  }
  return rc;
}

/* One file by its path (symlinks followed: a swapped link is a change). */
static int scan_one(scan_t *s, const char *path) {
  struct stat st;

  if (stat(path, &st) == 0)
    return scan_add(s, path, &st);
  if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
    return scan_unread(s, path, errno);
  return 0;
}

static int scan(sgw_watch_t *w, scan_t *s) {
  int rc;

  memset(s, 0, sizeof(*s));
  s->walk = (sgw_walk_t){scan_file, scan_error, s};
  rc = scan_one(s, w->config_path);
  for (size_t i = 0; rc == 0 && i < w->nfiles; i++)
    rc = scan_one(s, w->files[i]);
  for (size_t i = 0; rc == 0 && i < w->nroots; i++)
    rc = sgw_sources_walk(&s->walk, w->roots[i]);
  if (rc == 0 && s->nunread > 0)
    rc = scan_keep_unread(w, s);
  if (rc < 0) {
    scan_free(s->v, s->n);
    scan_fini(s);
    return rc;
  }
  qsort(s->v, s->n, sizeof(*s->v), fent_cmp);
  /* The same file reached through two roots counts once. */
  for (size_t i = 1; i < s->n;) {
    if (strcmp(s->v[i].path, s->v[i - 1].path) == 0) {
      free(s->v[i].path);
      memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
      s->n--;
    } else
      i++;
  }
  return 0;
}

static int same_file(const sgw_fent_t *a, const sgw_fent_t *b) {
  return a->size == b->size && a->ino == b->ino &&
         a->mtime.tv_sec == b->mtime.tv_sec &&
         a->mtime.tv_nsec == b->mtime.tv_nsec &&
         a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* Whether name is already one of the ", "-separated entries. */
static int listed(const sgw_buf_t *b, const char *name) {
  size_t n = strlen(name);

  for (const char *p = b->base; p != NULL && *p;) {
    const char *end = strstr(p, ", ");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, name, n) == 0)
      return 1;
    p = end ? end + 2 : NULL;
  }
  return 0;
}

static void note_changed(sgw_watch_t *w, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t commas = 0;

  for (size_t i = 0; i < w->changed.len; i++)
    commas += w->changed.base[i] == ',';
  if (listed(&w->changed, name))
    return;
  if (commas + 1 > SGW__WATCH_MAX_LISTED) {
    if (w->changed.len == 0 || w->changed.base[w->changed.len - 1] != '.')
      sgw_buf_appends(&w->changed, ", ...");
    return;
  }
  sgw_buf_appendf(&w->changed, "%s%s", w->changed.len ? ", " : "", name);
}

/* Records what differs between the old and new snapshots (both sorted);
 * returns the number of differences. */
static size_t diff(sgw_watch_t *w, const scan_t *now) {
  size_t i = 0, j = 0, n = 0;

  while (i < w->nsnap || j < now->n) {
    int c = i == w->nsnap ? 1
            : j == now->n ? -1
                          : strcmp(w->snap[i].path, now->v[j].path);
    if (c == 0 && same_file(&w->snap[i], &now->v[j])) {
      i++, j++;
      continue;
    }
    n++;
    note_changed(w, c <= 0 ? w->snap[i].path : now->v[j].path);
    if (c <= 0)
      i++;
    if (c >= 0)
      j++;
  }
  return n;
}

static void on_poll(uv_timer_t *t) {
  sgw_watch_t *w = t->data;
  uint64_t now = uv_now(t->loop);
  scan_t s;

  if (scan(w, &s) < 0) {
    sgw_log_warn("reload: out of memory scanning the scripts");
    return;
  }
  /* Said once per spell of trouble, not at every poll. */
  if (s.nunread > 0 && !w->unreadable)
    sgw_log_warn("reload: cannot read %s (%s); its scripts count as "
                 "unchanged until it can be read", s.unread[0],
                 strerror(s.err));
  w->unreadable = s.nunread > 0;
  scan_fini(&s);
  if (diff(w, &s) > 0) {
    if (!w->pending)
      w->first_change = now;
    w->pending = 1;
    scan_free(w->snap, w->nsnap);
    w->snap = s.v;
    w->nsnap = s.n;
    if (now - w->first_change < SGW__WATCH_MAX_WAIT_MS)
      return; /* wait for quiet */
  } else {
    scan_free(s.v, s.n);
  }
  if (w->pending) {
    w->pending = 0;
    w->cb(w, w->changed.base ? w->changed.base : "");
    sgw_buf_reset(&w->changed);
  }
}

/* Replaces *dst (*ndst strings) with copies of src. */
static int copy_paths(char ***dst, size_t *ndst, char *const *src,
                      size_t n) {
  char **v = calloc(n ? n : 1, sizeof(*v));

  if (v == NULL)
    return SGW_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if ((v[i] = strdup(src[i])) == NULL) {
      while (i-- > 0)
        free(v[i]);
      free(v);
      return SGW_ENOMEM;
    }
  for (size_t i = 0; i < *ndst; i++)
    free((*dst)[i]);
  free(*dst);
  *dst = v;
  *ndst = n;
  return 0;
}

static int copy_roots(sgw_watch_t *w, char *const *roots, size_t nroots) {
  return copy_paths(&w->roots, &w->nroots, roots, nroots);
}

int sgw_watch_set_roots(sgw_watch_t *w, char *const *roots, size_t nroots) {
  return copy_roots(w, roots, nroots);
}

int sgw_watch_set_files(sgw_watch_t *w, char *const *files, size_t nfiles) {
  scan_t s;
  int rc, same = nfiles == w->nfiles;

  for (size_t i = 0; same && i < nfiles; i++)
    same = strcmp(files[i], w->files[i]) == 0;
  if (same)
    return 0;
  if ((rc = copy_paths(&w->files, &w->nfiles, files, nfiles)) < 0)
    return rc;
  /* What the files are now is the baseline, not a change. */
  if ((rc = scan(w, &s)) < 0)
    return rc;
  scan_fini(&s);
  scan_free(w->snap, w->nsnap);
  w->snap = s.v;
  w->nsnap = s.n;
  return 0;
}

int sgw_watch_start(sgw_watch_t *w, uv_loop_t *loop, const char *config_path,
                    char *const *roots, size_t nroots, unsigned interval_ms,
                    sgw_watch_cb cb) {
  scan_t s;
  int rc;

  w->cb = cb;
  sgw_buf_init(&w->changed);
  if ((w->config_path = strdup(config_path)) == NULL ||
      (rc = copy_roots(w, roots, nroots)) < 0 || (rc = scan(w, &s)) < 0)
    return SGW_ENOMEM;
  scan_fini(&s);
  w->snap = s.v;
  w->nsnap = s.n;
  uv_timer_init(loop, &w->timer);
  w->timer.data = w;
  return uv_timer_start(&w->timer, on_poll, interval_ms, interval_ms);
}

void sgw_watch_stop(sgw_watch_t *w) {
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, NULL);
  scan_free(w->snap, w->nsnap);
  for (size_t i = 0; i < w->nroots; i++)
    free(w->roots[i]);
  free(w->roots);
  for (size_t i = 0; i < w->nfiles; i++)
    free(w->files[i]);
  free(w->files);
  w->files = NULL;
  w->nfiles = 0;
  free(w->config_path);
  sgw_buf_free(&w->changed);
}
