/* Metrics registry, per-thread shards and the text exposition format.
 * See metrics.h. */
#include "runtime/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "signgw/error.h"
#include "signgw/json.h"

#define SGW__MAX_FAMILIES 1024
#define SGW__CHUNK_SHIFT 10
#define SGW__CHUNK_CELLS (1u << SGW__CHUNK_SHIFT)
#define SGW__NCHUNKS (SGW_METRICS_MAX_CELLS / SGW__CHUNK_CELLS)

/* A value: a double's bits, so that one atomic word holds it. */
typedef _Atomic uint64_t cell_t;

/* Cells in chunks that never move once made: a reader on another thread
 * may hold a pointer into one while its owner makes the next. */
typedef struct cells_s {
  _Atomic(cell_t *) chunk[SGW__NCHUNKS];
} cells_t;

/* Label values (as key bytes) to series, open addressing. */
typedef struct map_entry_s {
  uint64_t hash;
  char *key;
  size_t klen;
  sgw_series_t *s;
} map_entry_t;

typedef struct map_s {
  map_entry_t *v;
  size_t cap, n;
} map_t;

/* One thread's counters and histograms, and its own series map. */
typedef struct shard_s {
  cells_t cells;
  map_t cache;      /* owner thread only */
  sgw_buf_t key;    /* owner thread only: scratch for lookup keys */
  pthread_t owner;
  struct shard_s *next;
} shard_t;

struct sgw_series_s {
  sgw_metric_t *f;
  uint32_t cell;        /* first cell; a histogram has ncells of them */
  char *labels;         /* rendered pairs a="x",b="y"; "" when none */
  sgw_series_t *next;   /* the family's, in creation order */
};

struct sgw_metric_s {
  sgw_metrics_t *m;
  sgw_metric_type_t type;
  char *name, *help;
  unsigned nlabels;
  char *labels[SGW_METRICS_MAX_LABELS];
  unsigned nbuckets;
  double buckets[SGW_METRICS_MAX_BUCKETS];
  unsigned ncells;      /* per series: 1, or nbuckets + 2 (+Inf and sum) */
  unsigned nseries;
  sgw_series_t *series, **tail;
  atomic_int warned;    /* a refused series was logged */
  sgw_metric_t *next;
};

struct sgw_metrics_s {
  pthread_mutex_t lock; /* families, series, the cell count, the shards */
  uint64_t id;          /* tells registries apart for the thread cache */
  sgw_metric_t *fams, **tail;
  unsigned nfams;
  uint32_t ncells;
  shard_t *shards;
  cells_t gauges;       /* gauges' cells, shared by all threads */
  map_t series;         /* every series, by key */
};

static const double default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,  1,     2.5,  5,  10};

static atomic_uint_fast64_t next_registry_id = 1;

/* The calling thread's shard of the registry it used last. */
static _Thread_local struct {
  uint64_t id;
  shard_t *shard;
} tls;

/* ---- cells ----------------------------------------------------------- */

static double bits_to_double(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof(d));
  return d;
}

static uint64_t double_to_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof(b));
  return b;
}

/* Cell i of c, its chunk made when `create` (else NULL if not made). */
static cell_t *cell_at(cells_t *c, uint32_t i, int create) {
  _Atomic(cell_t *) *slot = &c->chunk[i >> SGW__CHUNK_SHIFT];
  cell_t *chunk = atomic_load_explicit(slot, memory_order_acquire), *none;

  if (chunk == NULL) {
    if (!create || (chunk = calloc(SGW__CHUNK_CELLS, sizeof(*chunk))) == NULL)
      return NULL;
    none = NULL;
    if (!atomic_compare_exchange_strong_explicit(slot, &none, chunk,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire)) {
      free(chunk); /* another thread made it first (gauges) */
      chunk = none;
    }
  }
  return &chunk[i & (SGW__CHUNK_CELLS - 1)];
}

static double cell_read(cells_t *c, uint32_t i) {
  cell_t *p = cell_at(c, i, 0);
  return p ? bits_to_double(atomic_load_explicit(p, memory_order_relaxed))
           : 0.0;
}

/* The owner thread is the only writer: a load and a store suffice. */
static void cell_add_owned(cell_t *p, double v) {
  uint64_t b = atomic_load_explicit(p, memory_order_relaxed);
  atomic_store_explicit(p, double_to_bits(bits_to_double(b) + v),
                        memory_order_relaxed);
}

static void cell_add_shared(cell_t *p, double v) {
  uint64_t b = atomic_load_explicit(p, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(
      p, &b, double_to_bits(bits_to_double(b) + v), memory_order_relaxed,
      memory_order_relaxed))
    ;
}

static void cells_free(cells_t *c) {
  for (unsigned i = 0; i < SGW__NCHUNKS; i++)
    free(atomic_load_explicit(&c->chunk[i], memory_order_relaxed));
}

/* ---- maps ------------------------------------------------------------ */

static uint64_t hash_bytes(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 0x100000001b3u;
  }
  return h;
}

static sgw_series_t *map_get(const map_t *mp, uint64_t h, const char *k,
                             size_t n) {
  if (mp->cap == 0)
    return NULL;
  for (size_t i = h & (mp->cap - 1);; i = (i + 1) & (mp->cap - 1)) {
    const map_entry_t *e = &mp->v[i];
    if (e->key == NULL)
      return NULL;
    if (e->hash == h && e->klen == n && memcmp(e->key, k, n) == 0)
      return e->s;
  }
}

static void map_place(map_entry_t *v, size_t cap, map_entry_t e) {
  size_t i = e.hash & (cap - 1);
  while (v[i].key != NULL)
    i = (i + 1) & (cap - 1);
  v[i] = e;
}

/* Adds a copy of key k (absent from the map). */
static int map_put(map_t *mp, uint64_t h, const char *k, size_t n,
                   sgw_series_t *s) {
  map_entry_t e = {h, NULL, n, s};

  if ((mp->n + 1) * 2 > mp->cap) {
    size_t cap = mp->cap ? mp->cap * 2 : 16;
    map_entry_t *v = calloc(cap, sizeof(*v));
    if (v == NULL)
      return SGW_ENOMEM;
    for (size_t i = 0; i < mp->cap; i++)
      if (mp->v[i].key != NULL)
        map_place(v, cap, mp->v[i]);
    free(mp->v);
    mp->v = v;
    mp->cap = cap;
  }
  if ((e.key = malloc(n ? n : 1)) == NULL)
    return SGW_ENOMEM;
  memcpy(e.key, k, n);
  map_place(mp->v, mp->cap, e);
  mp->n++;
  return 0;
}

static void map_free(map_t *mp) {
  for (size_t i = 0; i < mp->cap; i++)
    free(mp->v[i].key);
  free(mp->v);
  mp->v = NULL;
  mp->cap = mp->n = 0;
}

/* ---- the registry ---------------------------------------------------- */

int sgw_metrics_new(sgw_metrics_t **out) {
  sgw_metrics_t *m = calloc(1, sizeof(*m));

  *out = NULL;
  if (m == NULL)
    return SGW_ENOMEM;
  pthread_mutex_init(&m->lock, NULL);
  m->id = atomic_fetch_add(&next_registry_id, 1);
  m->tail = &m->fams;
  *out = m;
  return 0;
}

void sgw_metrics_free(sgw_metrics_t *m) {
  if (m == NULL)
    return;
  while (m->fams != NULL) {
    sgw_metric_t *f = m->fams;
    m->fams = f->next;
    while (f->series != NULL) {
      sgw_series_t *s = f->series;
      f->series = s->next;
      free(s->labels);
      free(s);
    }
    for (unsigned i = 0; i < f->nlabels; i++)
      free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
  }
  while (m->shards != NULL) {
    shard_t *s = m->shards;
    m->shards = s->next;
    cells_free(&s->cells);
    map_free(&s->cache);
    sgw_buf_free(&s->key);
    free(s);
  }
  cells_free(&m->gauges);
  map_free(&m->series);
  pthread_mutex_destroy(&m->lock);
  if (tls.id == m->id)
    tls.id = 0, tls.shard = NULL;
  free(m);
}

/* The calling thread's shard of m, made on first use. A thread whose id
 * is reused after another thread ended takes that thread's shard: it is
 * still the only writer. */
static shard_t *my_shard(sgw_metrics_t *m) {
  pthread_t self = pthread_self();
  shard_t *s;

  if (tls.id == m->id)
    return tls.shard;
  pthread_mutex_lock(&m->lock);
  for (s = m->shards; s != NULL; s = s->next)
    if (pthread_equal(s->owner, self))
      break;
  if (s == NULL && (s = calloc(1, sizeof(*s))) != NULL) {
    s->owner = self;
    sgw_buf_init(&s->key);
    s->next = m->shards;
    m->shards = s;
  }
  pthread_mutex_unlock(&m->lock);
  if (s != NULL) {
    tls.id = m->id;
    tls.shard = s;
  }
  return s;
}

/* ---- definitions ----------------------------------------------------- */

static int name_ok(const char *s, int colon) {
  if (s == NULL || *s == '\0' || strlen(s) > SGW_METRICS_MAX_NAME)
    return 0;
  for (const char *p = s; *p; p++) {
    int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                *p == '_' || (colon && *p == ':');
    if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
      return 0;
  }
  return 1;
}

static const char *type_name(sgw_metric_type_t t) {
  return t == SGW_METRIC_COUNTER ? "counter"
         : t == SGW_METRIC_GAUGE ? "gauge"
                                 : "histogram";
}

/* Whether an existing family is the same definition. */
static int same_definition(const sgw_metric_t *f, sgw_metric_type_t type,
                           const char *const *labels, unsigned nlabels,
                           const double *buckets, unsigned nbuckets) {
  if (f->type != type || f->nlabels != nlabels)
    return 0;
  for (unsigned i = 0; i < nlabels; i++)
    if (strcmp(f->labels[i], labels[i]) != 0)
      return 0;
  if (type == SGW_METRIC_HISTOGRAM &&
      (f->nbuckets != nbuckets ||
       memcmp(f->buckets, buckets, nbuckets * sizeof(*buckets)) != 0))
    return 0;
  return 1;
}

static int check_definition(sgw_metric_type_t type, const char *name,
                            const char *help, const char *const *labels,
                            unsigned nlabels, const double *buckets,
                            unsigned nbuckets, char *err, size_t errlen) {
  if (!name_ok(name, 1)) {
    snprintf(err, errlen, "metric name '%.*s' must match "
             "[a-zA-Z_:][a-zA-Z0-9_:]* (at most %d characters)",
             SGW_METRICS_MAX_NAME, name ? name : "", SGW_METRICS_MAX_NAME);
    return -1;
  }
  if (help != NULL && strlen(help) > SGW_METRICS_MAX_HELP) {
    snprintf(err, errlen, "metric %s: help is longer than %d bytes", name,
             SGW_METRICS_MAX_HELP);
    return -1;
  }
  if (nlabels > SGW_METRICS_MAX_LABELS) {
    snprintf(err, errlen, "metric %s: at most %d labels", name,
             SGW_METRICS_MAX_LABELS);
    return -1;
  }
  for (unsigned i = 0; i < nlabels; i++) {
    if (!name_ok(labels[i], 0) || strncmp(labels[i], "__", 2) == 0 ||
        (type == SGW_METRIC_HISTOGRAM && strcmp(labels[i], "le") == 0)) {
      snprintf(err, errlen, "metric %s: label name '%.64s' must match "
               "[a-zA-Z_][a-zA-Z0-9_]*, not start with __ (and not be le "
               "on a histogram)", name, labels[i] ? labels[i] : "");
      return -1;
    }
    for (unsigned j = 0; j < i; j++)
      if (strcmp(labels[i], labels[j]) == 0) {
        snprintf(err, errlen, "metric %s: label '%s' appears twice", name,
                 labels[i]);
        return -1;
      }
  }
  if (type != SGW_METRIC_HISTOGRAM)
    return 0;
  if (nbuckets == 0 || nbuckets > SGW_METRICS_MAX_BUCKETS) {
    snprintf(err, errlen, "metric %s: 1 to %d buckets", name,
             SGW_METRICS_MAX_BUCKETS);
    return -1;
  }
  for (unsigned i = 0; i < nbuckets; i++)
    if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
      snprintf(err, errlen, "metric %s: buckets must be finite numbers in "
               "increasing order", name);
      return -1;
    }
  return 0;
}

sgw_metric_t *sgw_metrics_define(sgw_metrics_t *m, sgw_metric_type_t type,
                                 const char *name, const char *help,
                                 const char *const *labels, unsigned nlabels,
                                 const double *buckets, unsigned nbuckets,
                                 char *err, size_t errlen) {
  sgw_metric_t *f;

  if (type == SGW_METRIC_HISTOGRAM && (buckets == NULL || nbuckets == 0)) {
    buckets = default_buckets;
    nbuckets = sizeof(default_buckets) / sizeof(*default_buckets);
  }
  if (type != SGW_METRIC_HISTOGRAM)
    nbuckets = 0;
  if (check_definition(type, name, help, labels, nlabels, buckets, nbuckets,
                       err, errlen) < 0)
    return NULL;
  pthread_mutex_lock(&m->lock);
  for (f = m->fams; f != NULL; f = f->next)
    if (strcmp(f->name, name) == 0)
      break;
  if (f != NULL) {
    if (!same_definition(f, type, labels, nlabels, buckets, nbuckets)) {
      snprintf(err, errlen, "metric %s is already defined as a %s with %u "
               "label(s)%s; a new definition must have the same type, "
               "labels and buckets", name, type_name(f->type), f->nlabels,
               f->type == SGW_METRIC_HISTOGRAM ? " and its buckets" : "");
      f = NULL;
    }
    goto done;
  }
  if (m->nfams == SGW__MAX_FAMILIES ||
      (f = calloc(1, sizeof(*f))) == NULL) {
    snprintf(err, errlen, "metric %s: %s", name,
             m->nfams == SGW__MAX_FAMILIES ? "too many metrics"
                                           : "out of memory");
    f = NULL;
    goto done;
  }
  f->m = m;
  f->type = type;
  f->name = strdup(name);
  f->help = strdup(help ? help : "");
  f->nlabels = nlabels;
  for (unsigned i = 0; i < nlabels; i++)
    f->labels[i] = strdup(labels[i]);
  f->nbuckets = nbuckets;
  if (nbuckets > 0)
    memcpy(f->buckets, buckets, nbuckets * sizeof(*buckets));
  f->ncells = type == SGW_METRIC_HISTOGRAM ? nbuckets + 2 : 1;
  f->tail = &f->series;
  int oom = f->name == NULL || f->help == NULL;
  for (unsigned i = 0; i < nlabels; i++)
    oom |= f->labels[i] == NULL;
  if (oom) {
    for (unsigned i = 0; i < nlabels; i++)
      free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
    f = NULL;
    snprintf(err, errlen, "metric %s: out of memory", name);
    goto done;
  }
  *m->tail = f;
  m->tail = &f->next;
  m->nfams++;

done:
  pthread_mutex_unlock(&m->lock);
  return f;
}

sgw_metric_type_t sgw_metrics_type(const sgw_metric_t *f) { return f->type; }
const char *sgw_metrics_name(const sgw_metric_t *f) { return f->name; }
unsigned sgw_metrics_nlabels(const sgw_metric_t *f) { return f->nlabels; }

/* ---- series ---------------------------------------------------------- */

int sgw_metrics_write_label_value(sgw_buf_t *out, const char *v, size_t len) {
  size_t start = 0;
  int rc = 0;

  for (size_t i = 0; i < len && rc == 0; i++) {
    const char *esc = v[i] == '\\' ? "\\\\"
                      : v[i] == '"' ? "\\\""
                      : v[i] == '\n' ? "\\n"
                                     : NULL;
    if (esc == NULL)
      continue;
    rc = sgw_buf_append(out, v + start, i - start);
    if (rc == 0)
      rc = sgw_buf_appends(out, esc);
    start = i + 1;
  }
  return rc ? rc : sgw_buf_append(out, v + start, len - start);
}

/* Makes the series for the key (registry lock held). */
static sgw_series_t *series_make(sgw_metric_t *f, uint64_t h,
                                 const char *key, size_t klen,
                                 const char *const *values,
                                 const size_t *lens) {
  sgw_metrics_t *m = f->m;
  sgw_series_t *s;
  sgw_buf_t text;
  int rc = 0;

  if (f->nseries >= SGW_METRICS_MAX_SERIES ||
      m->ncells + f->ncells > SGW_METRICS_MAX_CELLS)
    return NULL;
  sgw_buf_init(&text);
  for (unsigned i = 0; i < f->nlabels && rc == 0; i++) {
    rc = sgw_buf_appendf(&text, "%s%s=\"", i ? "," : "", f->labels[i]);
    if (rc == 0)
      rc = sgw_metrics_write_label_value(&text, values[i], lens[i]);
    if (rc == 0)
      rc = sgw_buf_appendc(&text, '"');
  }
  if (rc == 0 && text.base == NULL)
    rc = sgw_buf_appends(&text, "");
  if (rc < 0 || (s = calloc(1, sizeof(*s))) == NULL) {
    sgw_buf_free(&text);
    return NULL;
  }
  s->f = f;
  s->cell = m->ncells;
  s->labels = text.base; /* taken over */
  if (map_put(&m->series, h, key, klen, s) < 0) {
    free(s->labels);
    free(s);
    return NULL;
  }
  m->ncells += f->ncells;
  f->nseries++;
  *f->tail = s;
  f->tail = &s->next;
  return s;
}

static void series_refused(sgw_metric_t *f, const char *why) {
  int expected = 0;

  if (atomic_compare_exchange_strong(&f->warned, &expected, 1))
    sgw_log_warn("metric %s: %s; such updates are dropped (logged once)",
                 f->name, why);
}

sgw_series_t *sgw_metrics_series(sgw_metric_t *f, const char *const *values,
                                 const size_t *lens) {
  sgw_metrics_t *m = f->m;
  shard_t *sh = my_shard(m);
  size_t lv[SGW_METRICS_MAX_LABELS];
  sgw_series_t *s;
  sgw_buf_t *key;
  uint64_t h;

  if (sh == NULL)
    return NULL;
  /* The key: the family's address, then each value's length and bytes. */
  key = &sh->key;
  sgw_buf_reset(key);
  if (sgw_buf_append(key, &f, sizeof(f)) < 0)
    return NULL;
  for (unsigned i = 0; i < f->nlabels; i++) {
    uint32_t n;
    lv[i] = lens ? lens[i] : strlen(values[i]);
    n = (uint32_t)lv[i];
    if (lv[i] > SGW_METRICS_MAX_VALUE) {
      series_refused(f, "a label value is too long");
      return NULL;
    }
    if (sgw_buf_append(key, &n, sizeof(n)) < 0 ||
        sgw_buf_append(key, values[i], lv[i]) < 0)
      return NULL;
  }
  h = hash_bytes(key->base, key->len);
  if ((s = map_get(&sh->cache, h, key->base, key->len)) != NULL)
    return s;
  /* UTF-8 without a NUL, which the text format's readers may take for
   * the end. */
  for (unsigned i = 0; i < f->nlabels; i++)
    if (!sgw_utf8_valid(values[i], lv[i])) {
      series_refused(f, "a label value is not UTF-8");
      return NULL;
    }
  pthread_mutex_lock(&m->lock);
  s = map_get(&m->series, h, key->base, key->len);
  if (s == NULL)
    s = series_make(f, h, key->base, key->len, values, lv);
  pthread_mutex_unlock(&m->lock);
  if (s == NULL) {
    series_refused(f, "too many series (label values), or out of memory");
    return NULL;
  }
  /* Not cached when out of memory: the next lookup takes the lock again. */
  map_put(&sh->cache, h, key->base, key->len, s);
  return s;
}

/* ---- recording ------------------------------------------------------- */

void sgw_metrics_add(sgw_series_t *s, double v) {
  shard_t *sh;
  cell_t *c;

  if (s == NULL || !isfinite(v))
    return;
  if (s->f->type == SGW_METRIC_GAUGE) {
    if ((c = cell_at(&s->f->m->gauges, s->cell, 1)) != NULL)
      cell_add_shared(c, v);
    return;
  }
  if (s->f->type != SGW_METRIC_COUNTER || v < 0 ||
      (sh = my_shard(s->f->m)) == NULL ||
      (c = cell_at(&sh->cells, s->cell, 1)) == NULL)
    return;
  cell_add_owned(c, v);
}

void sgw_metrics_set(sgw_series_t *s, double v) {
  cell_t *c;

  if (s == NULL || s->f->type != SGW_METRIC_GAUGE || isnan(v) ||
      (c = cell_at(&s->f->m->gauges, s->cell, 1)) == NULL)
    return;
  atomic_store_explicit(c, double_to_bits(v), memory_order_relaxed);
}

void sgw_metrics_observe(sgw_series_t *s, double v) {
  const sgw_metric_t *f;
  shard_t *sh;
  cell_t *c;
  unsigned i = 0;

  if (s == NULL || (f = s->f)->type != SGW_METRIC_HISTOGRAM || isnan(v) ||
      (sh = my_shard(f->m)) == NULL)
    return;
  while (i < f->nbuckets && v > f->buckets[i])
    i++;
  /* Both cells live in one chunk or two; make the sum's first, so a
   * count never appears without its chunk for the sum. */
  if (cell_at(&sh->cells, s->cell + f->nbuckets + 1, 1) == NULL ||
      (c = cell_at(&sh->cells, s->cell + i, 1)) == NULL)
    return;
  cell_add_owned(c, 1);
  if (isfinite(v))
    cell_add_owned(cell_at(&sh->cells, s->cell + f->nbuckets + 1, 1), v);
}

/* ---- reading --------------------------------------------------------- */

/* Cell k of series s summed over the shards (registry lock held, or
 * shards not changing). */
static double series_sum(const sgw_series_t *s, unsigned k) {
  double v = 0;
  for (shard_t *sh = s->f->m->shards; sh != NULL; sh = sh->next)
    v += cell_read(&sh->cells, s->cell + k);
  return v;
}

double sgw_metrics_value(const sgw_series_t *s) {
  sgw_metrics_t *m = s->f->m;
  double v = 0;

  if (s->f->type == SGW_METRIC_GAUGE)
    return cell_read(&m->gauges, s->cell);
  pthread_mutex_lock(&m->lock);
  if (s->f->type == SGW_METRIC_COUNTER)
    v = series_sum(s, 0);
  else
    for (unsigned k = 0; k <= s->f->nbuckets; k++)
      v += series_sum(s, k);
  pthread_mutex_unlock(&m->lock);
  return v;
}

/* ---- the text format ------------------------------------------------- */

/* Shortest decimal that reads back as v; integers without a fraction. */
static int write_double(sgw_buf_t *out, double v) {
  char b[40];

  if (isnan(v))
    return sgw_buf_appends(out, "NaN");
  if (isinf(v))
    return sgw_buf_appends(out, v > 0 ? "+Inf" : "-Inf");
  if (v == floor(v) && fabs(v) < 1e15)
    return sgw_buf_append_int(out, (long long)v);
  snprintf(b, sizeof(b), "%.15g", v);
  if (strtod(b, NULL) != v)
    snprintf(b, sizeof(b), "%.17g", v);
  return sgw_buf_appends(out, b);
}

int sgw_metrics_write_head(sgw_buf_t *out, const char *name,
                           const char *help, sgw_metric_type_t type) {
  int rc = sgw_buf_appendf(out, "# HELP %s ", name);

  /* HELP text escapes only backslash and line feed. */
  for (const char *p = help; rc == 0 && *p; p++)
    rc = *p == '\\'   ? sgw_buf_appends(out, "\\\\")
         : *p == '\n' ? sgw_buf_appends(out, "\\n")
                      : sgw_buf_appendc(out, *p);
  if (rc == 0)
    rc = sgw_buf_appendf(out, "\n# TYPE %s %s\n", name, type_name(type));
  return rc;
}

int sgw_metrics_write_sample(sgw_buf_t *out, const char *name,
                             const char *labels, double value) {
  int rc = sgw_buf_appends(out, name);

  if (rc == 0 && labels != NULL && *labels != '\0')
    rc = sgw_buf_appendf(out, "{%s}", labels);
  if (rc == 0)
    rc = sgw_buf_appendc(out, ' ');
  if (rc == 0)
    rc = write_double(out, value);
  return rc ? rc : sgw_buf_appendc(out, '\n');
}

static int render_histogram(sgw_buf_t *out, const sgw_series_t *s) {
  const sgw_metric_t *f = s->f;
  const char *sep = s->labels[0] ? "," : "";
  double cum = 0;
  int rc = 0;

  for (unsigned k = 0; k <= f->nbuckets && rc == 0; k++) {
    cum += series_sum(s, k);
    rc = sgw_buf_appendf(out, "%s_bucket{%s%sle=\"", f->name, s->labels, sep);
    if (rc == 0)
      rc = k < f->nbuckets ? write_double(out, f->buckets[k])
                           : sgw_buf_appends(out, "+Inf");
    if (rc == 0)
      rc = sgw_buf_appends(out, "\"} ");
    if (rc == 0)
      rc = write_double(out, cum);
    if (rc == 0)
      rc = sgw_buf_appendc(out, '\n');
  }
  if (rc == 0)
    rc = sgw_buf_appendf(out, "%s_sum", f->name);
  if (rc == 0)
    rc = sgw_metrics_write_sample(out, "", s->labels,
                                  series_sum(s, f->nbuckets + 1));
  if (rc == 0)
    rc = sgw_buf_appendf(out, "%s_count", f->name);
  if (rc == 0)
    rc = sgw_metrics_write_sample(out, "", s->labels, cum);
  return rc;
}

int sgw_metrics_render(sgw_metrics_t *m, sgw_buf_t *out) {
  int rc = 0;

  pthread_mutex_lock(&m->lock);
  for (const sgw_metric_t *f = m->fams; f != NULL && rc == 0; f = f->next) {
    rc = sgw_metrics_write_head(out, f->name, f->help, f->type);
    for (const sgw_series_t *s = f->series; s != NULL && rc == 0;
         s = s->next) {
      if (f->type == SGW_METRIC_HISTOGRAM)
        rc = render_histogram(out, s);
      else
        rc = sgw_metrics_write_sample(
            out, f->name, s->labels,
            f->type == SGW_METRIC_GAUGE ? cell_read(&m->gauges, s->cell)
                                        : series_sum(s, 0));
    }
  }
  pthread_mutex_unlock(&m->lock);
  return rc < 0 ? SGW_ENOMEM : 0;
}
