/* Shared dictionaries: a hash table, a write-order list and an expiry heap
 * per dict, behind one mutex.
 *
 * - The hash is SipHash-1-3 with a random key per dict: keys often come
 *   from clients (addresses, user ids), and a fixed hash would let them
 *   pile every key into one chain.
 * - The write-order list runs from the most recently written entry to the
 *   least; eviction takes from its tail.
 * - The heap holds the entries that have a TTL, soonest first: eviction
 *   drops expired ones before any live one, and finds them in O(log n). */
#include "runtime/shared.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "signgw/error.h"

#define SGW__SHARED_MAX_NAME 63
#define SGW__SHARED_BUCKETS0 16
#define SGW__SHARED_HEAP0 16

typedef struct sgw__entry_s sgw__entry_t;

struct sgw__entry_s {
  sgw__entry_t *hnext;        /* hash chain */
  sgw__entry_t *newer, *older; /* write order */
  uint64_t expires;           /* monotonic ns; 0: never */
  size_t heap;                /* index in the expiry heap; SIZE_MAX: none */
  size_t size;                /* bytes charged to the dict */
  uint64_t hash;
  uint32_t klen, vlen;
  int type;
  union {
    long long i;
    double n;
  } num;
  char data[]; /* the key, then a string value */
};

struct sgw_shared_dict_s {
  sgw_shared_dict_t *next; /* in the process set */
  char name[SGW__SHARED_MAX_NAME + 1];
  pthread_mutex_t lock;
  size_t capacity;
  size_t asked;            /* the capacity the last config asked for */
  size_t used;
  uint64_t k0, k1;         /* hash key */
  sgw__entry_t **buckets;
  size_t nbuckets, count;
  sgw__entry_t *newest, *oldest;
  sgw__entry_t **heap;
  size_t nheap, heap_cap;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sgw_shared_dict_t *registry;

/* ---- hashing ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
  do {                                                                         \
    v0 += v1;                                                                  \
    v1 = ROTL(v1, 13);                                                         \
    v1 ^= v0;                                                                  \
    v0 = ROTL(v0, 32);                                                         \
    v2 += v3;                                                                  \
    v3 = ROTL(v3, 16);                                                         \
    v3 ^= v2;                                                                  \
    v0 += v3;                                                                  \
    v3 = ROTL(v3, 21);                                                         \
    v3 ^= v0;                                                                  \
    v2 += v1;                                                                  \
    v1 = ROTL(v1, 17);                                                         \
    v1 ^= v2;                                                                  \
    v2 = ROTL(v2, 32);                                                         \
  } while (0)

static uint64_t load64le(const unsigned char *p) {
  uint64_t v = 0;

  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* SipHash-1-3 (one compression round, three finalization rounds). */
static uint64_t siphash13(uint64_t k0, uint64_t k1, const void *data,
                          size_t len) {
  const unsigned char *m = data;
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  uint64_t b = (uint64_t)len << 56;
  size_t end = len & ~(size_t)7;

  for (size_t i = 0; i < end; i += 8) {
    uint64_t mi = load64le(m + i);
    v3 ^= mi;
    SIPROUND;
    v0 ^= mi;
  }
  for (size_t j = 0; j < (len & 7); j++)
    b |= (uint64_t)m[end + j] << (8 * j);
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the expiry heap ---- */

static void heap_place(sgw_shared_dict_t *d, size_t i, sgw__entry_t *e) {
  d->heap[i] = e;
  e->heap = i;
}

static void heap_up(sgw_shared_dict_t *d, size_t i) {
  sgw__entry_t *e = d->heap[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (d->heap[parent]->expires <= e->expires)
      break;
    heap_place(d, i, d->heap[parent]);
    i = parent;
  }
  heap_place(d, i, e);
}

static void heap_down(sgw_shared_dict_t *d, size_t i) {
  sgw__entry_t *e = d->heap[i];

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= d->nheap)
      break;
    if (c + 1 < d->nheap && d->heap[c + 1]->expires < d->heap[c]->expires)
      c++;
    if (e->expires <= d->heap[c]->expires)
      break;
    heap_place(d, i, d->heap[c]);
    i = c;
  }
  heap_place(d, i, e);
}

/* The bytes a heap push would add now (the array doubles when full). */
static size_t heap_growth(const sgw_shared_dict_t *d) {
  if (d->nheap < d->heap_cap)
    return 0;
  return (d->heap_cap ? d->heap_cap : SGW__SHARED_HEAP0) * sizeof(*d->heap);
}

static int heap_push(sgw_shared_dict_t *d, sgw__entry_t *e) {
  if (d->nheap == d->heap_cap) {
    size_t cap = d->heap_cap ? d->heap_cap * 2 : SGW__SHARED_HEAP0;
    sgw__entry_t **h = realloc(d->heap, cap * sizeof(*h));
    if (h == NULL)
      return SGW_ENOMEM;
    d->used += (cap - d->heap_cap) * sizeof(*h);
    d->heap = h;
    d->heap_cap = cap;
  }
  d->heap[d->nheap] = e;
  e->heap = d->nheap++;
  heap_up(d, e->heap);
  return 0;
}

static void heap_remove(sgw_shared_dict_t *d, sgw__entry_t *e) {
  size_t i = e->heap;
  sgw__entry_t *last;

  e->heap = SIZE_MAX;
  last = d->heap[--d->nheap];
  if (last == e)
    return;
  heap_place(d, i, last);
  heap_up(d, i);
  heap_down(d, last->heap);
}

/* ---- entries ---- */

static size_t entry_size(size_t klen, size_t vlen) {
  return sizeof(sgw__entry_t) + klen + vlen + SGW_SHARED_ENTRY_OVERHEAD;
}

static int expired(const sgw__entry_t *e, uint64_t now) {
  return e->expires != 0 && e->expires <= now;
}

static sgw__entry_t *find(sgw_shared_dict_t *d, const char *key, size_t klen,
                          uint64_t hash) {
  sgw__entry_t *e = d->buckets[hash & (d->nbuckets - 1)];

  for (; e != NULL; e = e->hnext)
    if (e->hash == hash && e->klen == klen && memcmp(e->data, key, klen) == 0)
      return e;
  return NULL;
}

static void order_unlink(sgw_shared_dict_t *d, sgw__entry_t *e) {
  if (e->newer != NULL)
    e->newer->older = e->older;
  else
    d->newest = e->older;
  if (e->older != NULL)
    e->older->newer = e->newer;
  else
    d->oldest = e->newer;
}

/* Makes e the most recently written entry. */
static void order_front(sgw_shared_dict_t *d, sgw__entry_t *e) {
  e->newer = NULL;
  e->older = d->newest;
  if (d->newest != NULL)
    d->newest->newer = e;
  else
    d->oldest = e;
  d->newest = e;
}

static void entry_remove(sgw_shared_dict_t *d, sgw__entry_t *e) {
  sgw__entry_t **p = &d->buckets[e->hash & (d->nbuckets - 1)];

  while (*p != e)
    p = &(*p)->hnext;
  *p = e->hnext;
  order_unlink(d, e);
  if (e->heap != SIZE_MAX)
    heap_remove(d, e);
  d->used -= e->size;
  d->count--;
  free(e);
}

/* Doubles the hash table when it is crowded and the bytes fit. */
static void maybe_grow(sgw_shared_dict_t *d) {
  size_t n = d->nbuckets * 2, extra = d->nbuckets * sizeof(*d->buckets);
  sgw__entry_t **b;

  if (d->count <= d->nbuckets || d->used + extra > d->capacity ||
      (b = calloc(n, sizeof(*b))) == NULL)
    return;
  for (size_t i = 0; i < d->nbuckets; i++) {
    sgw__entry_t *e = d->buckets[i], *next;
    for (; e != NULL; e = next) {
      next = e->hnext;
      e->hnext = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  free(d->buckets);
  d->buckets = b;
  d->nbuckets = n;
  d->used += extra;
}

/* Frees room for an entry of `size` bytes (with an expiry when `ttl`):
 * expired entries first, then the least recently written. Returns 0, or
 * SGW_ETOOBIG when even the empty dict is too small. */
static int make_room(sgw_shared_dict_t *d, size_t size, int ttl,
                     uint64_t now, int *forcible) {
  for (;;) {
    size_t need = size + (ttl ? heap_growth(d) : 0);
    if (d->used + need <= d->capacity)
      return 0;
    if (d->nheap > 0 && expired(d->heap[0], now))
      entry_remove(d, d->heap[0]);
    else if (d->oldest != NULL) {
      entry_remove(d, d->oldest);
      if (forcible != NULL)
        *forcible = 1;
    } else
      return SGW_ETOOBIG;
  }
}

/* Does an entry of `size` fit in the dict once everything else is gone? */
static int fits_empty(const sgw_shared_dict_t *d, size_t size, int ttl) {
  size_t tables = d->nbuckets * sizeof(*d->buckets) +
                  d->heap_cap * sizeof(*d->heap) +
                  (ttl && d->heap_cap == 0 ? SGW__SHARED_HEAP0 *
                                                 sizeof(*d->heap) : 0);
  return tables + size <= d->capacity;
}

static int check_ttl(double ttl) {
  return isfinite(ttl) && ttl >= 0 && ttl <= SGW_SHARED_MAX_TTL;
}

static uint64_t expiry(double ttl, uint64_t now) {
  uint64_t ns;

  if (ttl == 0)
    return 0;
  ns = (uint64_t)(ttl * 1e9);
  return now + (ns ? ns : 1);
}

/* Inserts a new entry (the key is absent). */
static int insert(sgw_shared_dict_t *d, const char *key, size_t klen,
                  uint64_t hash, const sgw_shared_value_t *v, double ttl,
                  uint64_t now, int *forcible) {
  size_t vlen = v->type == SGW_SHARED_STRING ? v->len : 0;
  size_t size = entry_size(klen, vlen);
  sgw__entry_t *e;
  int rc;

  if ((rc = make_room(d, size, ttl != 0, now, forcible)) < 0)
    return rc;
  if ((e = malloc(sizeof(*e) + klen + vlen)) == NULL)
    return SGW_ENOMEM;
  e->expires = expiry(ttl, now);
  e->heap = SIZE_MAX;
  e->size = size;
  e->hash = hash;
  e->klen = (uint32_t)klen;
  e->vlen = (uint32_t)vlen;
  e->type = v->type;
  if (v->type == SGW_SHARED_NUMBER)
    e->num.n = v->n;
  else
    e->num.i = v->i;
  memcpy(e->data, key, klen);
  if (vlen > 0)
    memcpy(e->data + klen, v->s, vlen);
  if (e->expires != 0 && heap_push(d, e) < 0) {
    free(e);
    return SGW_ENOMEM;
  }
  e->hnext = d->buckets[hash & (d->nbuckets - 1)];
  d->buckets[hash & (d->nbuckets - 1)] = e;
  order_front(d, e);
  d->used += size;
  d->count++;
  maybe_grow(d);
  return 0;
}

/* Looks `key` up; an expired entry is removed and not returned. */
static sgw__entry_t *lookup(sgw_shared_dict_t *d, const char *key,
                            size_t klen, uint64_t hash, uint64_t now) {
  sgw__entry_t *e = find(d, key, klen, hash);

  if (e != NULL && expired(e, now)) {
    entry_remove(d, e);
    return NULL;
  }
  return e;
}

static int check_key(const char *key, size_t klen) {
  return key != NULL && klen > 0 && klen <= SGW_SHARED_MAX_KEY;
}

static int check_value(const sgw_shared_value_t *v) {
  switch (v->type) {
  case SGW_SHARED_STRING:
    return (v->s != NULL || v->len == 0) && v->len <= UINT32_MAX;
  case SGW_SHARED_INTEGER:
  case SGW_SHARED_NUMBER:
  case SGW_SHARED_BOOLEAN:
  case SGW_SHARED_NIL:
    return 1;
  default:
    return 0;
  }
}

/* ---- operations ---- */

int sgw_shared_get(sgw_shared_dict_t *d, const char *key, size_t klen,
                   sgw_shared_value_t *v, sgw_buf_t *str) {
  uint64_t hash, now = now_ns();
  sgw__entry_t *e;
  int rc = 0;

  memset(v, 0, sizeof(*v));
  sgw_buf_reset(str);
  if (!check_key(key, klen))
    return SGW_EINVAL;
  hash = siphash13(d->k0, d->k1, key, klen);
  pthread_mutex_lock(&d->lock);
  if ((e = lookup(d, key, klen, hash, now)) == NULL) {
    rc = SGW_ENOENT;
    goto done;
  }
  v->type = e->type;
  if (e->type == SGW_SHARED_NUMBER)
    v->n = e->num.n;
  else
    v->i = e->num.i;
  if (e->type == SGW_SHARED_STRING) {
    if ((rc = sgw_buf_append(str, e->data + e->klen, e->vlen)) < 0)
      goto done;
    v->s = str->base ? str->base : "";
    v->len = e->vlen;
  }

done:
  pthread_mutex_unlock(&d->lock);
  return rc;
}

static int store(sgw_shared_dict_t *d, const char *key, size_t klen,
                 const sgw_shared_value_t *v, double ttl, int *forcible,
                 int only_new) {
  uint64_t hash, now = now_ns();
  sgw__entry_t *e;
  int rc;

  if (forcible != NULL)
    *forcible = 0;
  if (!check_key(key, klen) || !check_value(v) || !check_ttl(ttl))
    return SGW_EINVAL;
  if (v->type == SGW_SHARED_NIL)
    return only_new ? SGW_EINVAL : (sgw_shared_delete(d, key, klen), 0);
  hash = siphash13(d->k0, d->k1, key, klen);
  pthread_mutex_lock(&d->lock);
  e = lookup(d, key, klen, hash, now);
  if (e != NULL && only_new) {
    rc = 1;
  } else if (!fits_empty(d, entry_size(klen, v->type == SGW_SHARED_STRING
                                                  ? v->len
                                                  : 0),
                         ttl != 0)) {
    rc = SGW_ETOOBIG; /* refused before anything changed */
  } else {
    if (e != NULL)
      entry_remove(d, e);
    rc = insert(d, key, klen, hash, v, ttl, now, forcible);
  }
  pthread_mutex_unlock(&d->lock);
  return rc;
}

int sgw_shared_set(sgw_shared_dict_t *d, const char *key, size_t klen,
                   const sgw_shared_value_t *v, double ttl, int *forcible) {
  return store(d, key, klen, v, ttl, forcible, 0);
}

int sgw_shared_add(sgw_shared_dict_t *d, const char *key, size_t klen,
                   const sgw_shared_value_t *v, double ttl, int *forcible) {
  return store(d, key, klen, v, ttl, forcible, 1);
}

static int is_number(const sgw_shared_value_t *v) {
  return v->type == SGW_SHARED_INTEGER || v->type == SGW_SHARED_NUMBER;
}

static double as_double(const sgw_shared_value_t *v) {
  return v->type == SGW_SHARED_INTEGER ? (double)v->i : v->n;
}

/* a + b into *out; SGW_ERANGE on integer overflow. */
static int add_numbers(const sgw_shared_value_t *a,
                       const sgw_shared_value_t *b, sgw_shared_value_t *out) {
  memset(out, 0, sizeof(*out));
  if (a->type == SGW_SHARED_INTEGER && b->type == SGW_SHARED_INTEGER) {
    out->type = SGW_SHARED_INTEGER;
    return __builtin_add_overflow(a->i, b->i, &out->i) ? SGW_ERANGE : 0;
  }
  out->type = SGW_SHARED_NUMBER;
  out->n = as_double(a) + as_double(b);
  return 0;
}

int sgw_shared_incr(sgw_shared_dict_t *d, const char *key, size_t klen,
                    const sgw_shared_value_t *by,
                    const sgw_shared_value_t *init, double init_ttl,
                    sgw_shared_value_t *out, int *forcible) {
  uint64_t hash, now = now_ns();
  sgw_shared_value_t cur = {0};
  sgw__entry_t *e;
  int rc;

  if (forcible != NULL)
    *forcible = 0;
  memset(out, 0, sizeof(*out));
  if (!check_key(key, klen) || !is_number(by) ||
      (init != NULL && !is_number(init)) || !check_ttl(init_ttl))
    return SGW_EINVAL;
  hash = siphash13(d->k0, d->k1, key, klen);
  pthread_mutex_lock(&d->lock);
  e = lookup(d, key, klen, hash, now);
  if (e == NULL) {
    if (init == NULL)
      rc = SGW_ENOENT;
    else if ((rc = add_numbers(init, by, out)) == 0)
      rc = fits_empty(d, entry_size(klen, 0), init_ttl != 0)
               ? insert(d, key, klen, hash, out, init_ttl, now, forcible)
               : SGW_ETOOBIG;
    goto done;
  }
  if (e->type != SGW_SHARED_INTEGER && e->type != SGW_SHARED_NUMBER) {
    rc = SGW_EINVAL;
    goto done;
  }
  cur.type = e->type;
  if (e->type == SGW_SHARED_NUMBER)
    cur.n = e->num.n;
  else
    cur.i = e->num.i;
  if ((rc = add_numbers(&cur, by, out)) < 0)
    goto done;
  /* Same size either way: updated in place, moved to the front. */
  e->type = out->type;
  if (out->type == SGW_SHARED_NUMBER)
    e->num.n = out->n;
  else
    e->num.i = out->i;
  order_unlink(d, e);
  order_front(d, e);

done:
  pthread_mutex_unlock(&d->lock);
  if (rc < 0)
    memset(out, 0, sizeof(*out));
  return rc;
}

/* GCRA: the entry holds the "theoretical arrival time" (tat), when the
 * bucket will be empty. A request at `now` fits when the bucket, counted
 * from now, holds no more than `burst` intervals (tat - now <= burst *
 * interval); it then adds one interval. */
int sgw_shared_limit(sgw_shared_dict_t *d, const char *key, size_t klen,
                     double rate, double burst, double *n, int *forcible) {
  uint64_t hash, now = now_ns(), tat, interval, tolerance;
  sgw_shared_value_t v = {0};
  sgw__entry_t *e;
  int rc;

  if (forcible != NULL)
    *forcible = 0;
  *n = 0;
  if (!check_key(key, klen) || !(rate > 0 && rate <= 1e9) ||
      !(burst >= 0 && burst <= 1e9))
    return SGW_EINVAL;
  interval = (uint64_t)(1e9 / rate);
  if (interval == 0)
    interval = 1;
  tolerance = (uint64_t)(burst * (double)interval);
  hash = siphash13(d->k0, d->k1, key, klen);
  pthread_mutex_lock(&d->lock);
  e = lookup(d, key, klen, hash, now);
  if (e != NULL && e->type != SGW_SHARED_INTEGER) {
    rc = SGW_EINVAL;
    goto done;
  }
  tat = e != NULL && (uint64_t)e->num.i > now ? (uint64_t)e->num.i : now;
  if (tat - now > tolerance) {
    *n = (double)(tat - now - tolerance) / 1e9;
    rc = 1;
    goto done;
  }
  tat += interval;
  *n = (double)((tolerance + interval - (tat - now)) / interval);
  v.type = SGW_SHARED_INTEGER;
  v.i = (long long)tat;
  if (e != NULL && e->heap != SIZE_MAX) {
    /* Same size, and its place in the expiry heap is reused: updated in
     * place, with the new expiry. */
    e->num.i = v.i;
    heap_remove(d, e);
    e->expires = tat;
    heap_push(d, e); /* cannot fail: the heap just had this room */
    order_unlink(d, e);
    order_front(d, e);
    rc = 0;
  } else if (!fits_empty(d, entry_size(klen, 0), 1)) {
    rc = SGW_ETOOBIG;
  } else {
    if (e != NULL)
      entry_remove(d, e);
    rc = insert(d, key, klen, hash, &v, (double)(tat - now) / 1e9, now,
                forcible);
  }

done:
  pthread_mutex_unlock(&d->lock);
  return rc;
}

int sgw_shared_delete(sgw_shared_dict_t *d, const char *key, size_t klen) {
  uint64_t hash;
  sgw__entry_t *e;

  if (!check_key(key, klen))
    return SGW_EINVAL;
  hash = siphash13(d->k0, d->k1, key, klen);
  pthread_mutex_lock(&d->lock);
  e = find(d, key, klen, hash);
  if (e != NULL)
    entry_remove(d, e);
  pthread_mutex_unlock(&d->lock);
  return e != NULL ? 0 : SGW_ENOENT;
}

void sgw_shared_flush_all(sgw_shared_dict_t *d) {
  pthread_mutex_lock(&d->lock);
  while (d->oldest != NULL)
    entry_remove(d, d->oldest);
  pthread_mutex_unlock(&d->lock);
}

int sgw_shared_keys(sgw_shared_dict_t *d, size_t max, sgw_buf_t *out,
                    size_t *count) {
  uint64_t now = now_ns();
  int rc = 0;

  sgw_buf_reset(out);
  *count = 0;
  pthread_mutex_lock(&d->lock);
  for (sgw__entry_t *e = d->newest; e != NULL && (max == 0 || *count < max);
       e = e->older) {
    size_t klen = e->klen;
    if (expired(e, now))
      continue;
    if ((rc = sgw_buf_append(out, &klen, sizeof(klen))) < 0 ||
        (rc = sgw_buf_append(out, e->data, klen)) < 0)
      break;
    (*count)++;
  }
  pthread_mutex_unlock(&d->lock);
  return rc;
}

void sgw_shared_stats(sgw_shared_dict_t *d, size_t *capacity, size_t *used,
                      size_t *count) {
  pthread_mutex_lock(&d->lock);
  if (capacity != NULL)
    *capacity = d->capacity;
  if (used != NULL)
    *used = d->used;
  if (count != NULL)
    *count = d->count;
  pthread_mutex_unlock(&d->lock);
}

/* ---- the process set ---- */

static int check_name(const char *name, size_t len) {
  if (len == 0 || len > SGW__SHARED_MAX_NAME || isdigit((unsigned char)*name))
    return 0;
  for (size_t i = 0; i < len; i++)
    if (!isalnum((unsigned char)name[i]) && name[i] != '_')
      return 0;
  return 1;
}

static void dict_free(sgw_shared_dict_t *d) {
  while (d->oldest != NULL)
    entry_remove(d, d->oldest);
  pthread_mutex_destroy(&d->lock);
  free(d->buckets);
  free(d->heap);
  free(d);
}

static sgw_shared_dict_t *dict_new(const char *name, size_t capacity) {
  sgw_shared_dict_t *d = calloc(1, sizeof(*d));
  uint64_t key[2];

  if (d == NULL)
    return NULL;
  if ((d->buckets = calloc(SGW__SHARED_BUCKETS0, sizeof(*d->buckets))) ==
      NULL) {
    free(d);
    return NULL;
  }
  /* Without the random source the hash still works, only predictably. */
  if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
    key[0] = now_ns();
    key[1] = (uint64_t)(uintptr_t)d;
  }
  d->k0 = key[0];
  d->k1 = key[1];
  pthread_mutex_init(&d->lock, NULL);
  strcpy(d->name, name);
  d->capacity = d->asked = capacity;
  d->nbuckets = SGW__SHARED_BUCKETS0;
  d->used = SGW__SHARED_BUCKETS0 * sizeof(*d->buckets);
  return d;
}

sgw_shared_dict_t *sgw_shared_find(const char *name, size_t len) {
  sgw_shared_dict_t *d;

  pthread_mutex_lock(&registry_lock);
  for (d = registry; d != NULL; d = d->next)
    if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
      break;
  pthread_mutex_unlock(&registry_lock);
  return d;
}

int sgw_shared_open(const char *name, size_t capacity,
                    sgw_shared_dict_t **out) {
  size_t len = name ? strlen(name) : 0;
  sgw_shared_dict_t *d;
  int rc = SGW_SHARED_OPENED;

  *out = NULL;
  if (!check_name(name, len) || capacity < SGW_SHARED_MIN_CAPACITY ||
      capacity > SGW_SHARED_MAX_CAPACITY)
    return SGW_EINVAL;
  pthread_mutex_lock(&registry_lock);
  for (d = registry; d != NULL; d = d->next)
    if (strcmp(d->name, name) == 0)
      break;
  if (d == NULL) {
    if ((d = dict_new(name, capacity)) == NULL) {
      rc = SGW_ENOMEM;
      goto done;
    }
    d->next = registry;
    registry = d;
    rc = SGW_SHARED_CREATED;
  } else if (capacity != d->asked) {
    d->asked = capacity;
    if (capacity != d->capacity)
      rc = SGW_SHARED_KEPT;
  }
  *out = d;

done:
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

void sgw_shared_free_all(void) {
  pthread_mutex_lock(&registry_lock);
  while (registry != NULL) {
    sgw_shared_dict_t *d = registry;
    registry = d->next;
    dict_free(d);
  }
  pthread_mutex_unlock(&registry_lock);
}

const char *sgw_shared_name(const sgw_shared_dict_t *d) { return d->name; }

int sgw_shared_parse_size(const char *text, size_t *bytes) {
  unsigned long long v = 0, mult = 1;
  const char *p = text;

  if (text == NULL || !isdigit((unsigned char)*p))
    return SGW_EINVAL;
  for (; isdigit((unsigned char)*p); p++) {
    if (v > (SGW_SHARED_MAX_CAPACITY / 10))
      return SGW_ERANGE;
    v = v * 10 + (unsigned long long)(*p - '0');
  }
  switch (*p) {
  case 'k': case 'K': mult = 1ULL << 10; p++; break;
  case 'm': case 'M': mult = 1ULL << 20; p++; break;
  case 'g': case 'G': mult = 1ULL << 30; p++; break;
  default: break;
  }
  if (*p != '\0')
    return SGW_EINVAL;
  if (v > SGW_SHARED_MAX_CAPACITY / mult || v * mult > SGW_SHARED_MAX_CAPACITY ||
      v * mult < SGW_SHARED_MIN_CAPACITY)
    return SGW_ERANGE;
  *bytes = (size_t)(v * mult);
  return 0;
}
