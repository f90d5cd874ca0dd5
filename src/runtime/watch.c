#include "runtime/watch.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "signgw/error.h"

#define SGW__WATCH_MAX_DEPTH 8
#define SGW__WATCH_MAX_FILES 10000
#define SGW__WATCH_MAX_WAIT_MS 800 /* report even if saves never stop */
#define SGW__WATCH_MAX_LISTED 20

struct sgw_fent_s {
  char *path;
  struct timespec mtime, ctim;
  off_t size;
  ino_t ino;
};

typedef struct scan_s {
  sgw_fent_t *v;
  size_t n, cap;
} scan_t;

static void scan_free(sgw_fent_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i].path);
  free(v);
}

static int scan_add(scan_t *s, const char *path, const struct stat *st) {
  if (s->n == SGW__WATCH_MAX_FILES)
    return 0; /* a runaway folder: watch what fits */
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    sgw_fent_t *v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL)
      return SGW_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n] = (sgw_fent_t){.path = strdup(path), .mtime = st->st_mtim,
                            .ctim = st->st_ctim, .size = st->st_size,
                            .ino = st->st_ino};
  return s->v[s->n++].path ? 0 : SGW_ENOMEM;
}

static int is_lua(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

/* Adds every *.lua below dir. Hidden entries are skipped (editor swap
 * files, ConfigMap internals: the visible names are links into them). */
static int scan_dir(scan_t *s, const char *dir, int depth) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int rc = 0;

  if (d == NULL)
    return 0; /* a missing folder is simply empty */
  while (rc == 0 && (e = readdir(d)) != NULL) {
    char path[4096];
    struct stat st;
    if (e->d_name[0] == '.')
      continue;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
            sizeof(path) ||
        stat(path, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < SGW__WATCH_MAX_DEPTH)
      rc = scan_dir(s, path, depth + 1);
    else if (S_ISREG(st.st_mode) && is_lua(e->d_name))
      rc = scan_add(s, path, &st);
  }
  closedir(d);
  return rc;
}

static int fent_cmp(const void *a, const void *b) {
  return strcmp(((const sgw_fent_t *)a)->path, ((const sgw_fent_t *)b)->path);
}

static int scan(sgw_watch_t *w, scan_t *s) {
  struct stat st;
  int rc = 0;

  memset(s, 0, sizeof(*s));
  if (stat(w->config_path, &st) == 0)
    rc = scan_add(s, w->config_path, &st);
  for (size_t i = 0; rc == 0 && i < w->nroots; i++)
    rc = scan_dir(s, w->roots[i], 0);
  if (rc < 0) {
    scan_free(s->v, s->n);
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

static int copy_roots(sgw_watch_t *w, char *const *roots, size_t nroots) {
  char **v = calloc(nroots ? nroots : 1, sizeof(*v));

  if (v == NULL)
    return SGW_ENOMEM;
  for (size_t i = 0; i < nroots; i++)
    if ((v[i] = strdup(roots[i])) == NULL) {
      while (i-- > 0)
        free(v[i]);
      free(v);
      return SGW_ENOMEM;
    }
  for (size_t i = 0; i < w->nroots; i++)
    free(w->roots[i]);
  free(w->roots);
  w->roots = v;
  w->nroots = nroots;
  return 0;
}

int sgw_watch_set_roots(sgw_watch_t *w, char *const *roots, size_t nroots) {
  return copy_roots(w, roots, nroots);
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
  free(w->config_path);
  sgw_buf_free(&w->changed);
}
