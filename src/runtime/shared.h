/* Shared dictionaries: named key-value stores shared by every worker
 * thread of the process, like ngx.shared.DICT (Lua: gw.shared).
 *
 * A dict is created from the config (`shared = { name = "10m" }`) the
 * first time a config names it and lives until the process exits: reloads
 * keep it, with its contents and its size (a reload asking for another
 * size is told so and changes nothing until a restart). Every operation
 * takes the dict's mutex once, so each one is atomic; nothing else runs
 * under that lock (no Lua, no I/O).
 *
 * Values are strings, integers, floating-point numbers and booleans. A
 * dict never holds more than its capacity in bytes, counting each entry's
 * key, value and bookkeeping (SGW_SHARED_ENTRY_OVERHEAD plus the entry
 * header) and the dict's hash and expiry tables. When a write needs room,
 * expired entries go first, soonest expiry first; then the entries
 * written longest ago (set, add or incr: reads do not count). Writes are
 * what keeps counters and rate-limit state alive, and reads stay cheap
 * and predictable.
 *
 * Expiry uses the monotonic clock: a TTL is not affected by changes of
 * the wall clock. An expired entry is never returned. */
#ifndef SGW_SHARED_H
#define SGW_SHARED_H

#include <stddef.h>

#include "signgw/buf.h"

#define SGW_SHARED_MIN_CAPACITY 4096
#define SGW_SHARED_MAX_CAPACITY ((size_t)1 << 40)
#define SGW_SHARED_MAX_KEY 65535
#define SGW_SHARED_MAX_TTL 2147483647.0 /* seconds */
#define SGW_SHARED_ENTRY_OVERHEAD 16    /* allocator bookkeeping per entry */

typedef struct sgw_shared_dict_s sgw_shared_dict_t;

enum {
  SGW_SHARED_NIL,
  SGW_SHARED_STRING,
  SGW_SHARED_INTEGER,
  SGW_SHARED_NUMBER,
  SGW_SHARED_BOOLEAN
};

typedef struct sgw_shared_value_s {
  int type;          /* SGW_SHARED_* */
  long long i;       /* INTEGER; BOOLEAN as 0 or 1 */
  double n;          /* NUMBER */
  const char *s;     /* STRING: the bytes (not NUL-terminated) ... */
  size_t len;        /* ... and their count */
} sgw_shared_value_t;

/* ---- the process-wide set of dicts ---- */

/* What sgw_shared_open found. */
enum {
  SGW_SHARED_OPENED,  /* it existed with this capacity */
  SGW_SHARED_CREATED, /* it is new */
  SGW_SHARED_KEPT     /* it exists with another capacity, which stays (said
                         once per capacity asked for) */
};

/* Finds the dict `name` or creates it with `capacity` bytes
 * (SGW_SHARED_MIN_CAPACITY to SGW_SHARED_MAX_CAPACITY). Returns
 * SGW_SHARED_OPENED/CREATED/KEPT and *out, or SGW_EINVAL (bad name or
 * capacity) or SGW_ENOMEM. Names are 1 to 63 of [A-Za-z0-9_], not
 * starting with a digit. Thread-safe. The dict is owned by the process
 * set and freed by sgw_shared_free_all. */
int sgw_shared_open(const char *name, size_t capacity,
                    sgw_shared_dict_t **out);
/* The dict called `name`, or NULL. Thread-safe. */
sgw_shared_dict_t *sgw_shared_find(const char *name, size_t len);
/* Frees every dict. At process exit, once no thread uses them. */
void sgw_shared_free_all(void);

/* "10m", "512k", "1g" or "65536" (bytes) into *bytes; SGW_EINVAL if the
 * text is not a size, SGW_ERANGE if it is outside the capacity limits. */
int sgw_shared_parse_size(const char *text, size_t *bytes);

const char *sgw_shared_name(const sgw_shared_dict_t *d);

/* ---- operations (thread-safe, each atomic) ----
 * Keys are 1 to SGW_SHARED_MAX_KEY bytes (SGW_EINVAL otherwise). ttl is in
 * seconds, 0 for none, up to SGW_SHARED_MAX_TTL (SGW_EINVAL otherwise). */

/* Copies the value of `key` into *v; a string's bytes go into `str`
 * (reset first; v->s points into it). Returns 0, or SGW_ENOENT when there
 * is no such key or it expired. */
int sgw_shared_get(sgw_shared_dict_t *d, const char *key, size_t klen,
                   sgw_shared_value_t *v, sgw_buf_t *str);

/* Stores `v` under `key` with `ttl` (a NIL value deletes the key). Returns
 * 0, or SGW_ETOOBIG when the entry cannot fit even in the empty dict (the
 * old value stays then), or SGW_ENOMEM. *forcible (may be NULL) is set to
 * 1 when entries that had not expired were evicted to make room. */
int sgw_shared_set(sgw_shared_dict_t *d, const char *key, size_t klen,
                   const sgw_shared_value_t *v, double ttl, int *forcible);

/* Like set, but only when the key is absent (or expired): returns 1 and
 * changes nothing when it is there. */
int sgw_shared_add(sgw_shared_dict_t *d, const char *key, size_t klen,
                   const sgw_shared_value_t *v, double ttl, int *forcible);

/* Adds `by` (INTEGER or NUMBER) to the number under `key` and puts the sum
 * in *out. A key that is absent or expired starts at *init (when init is
 * not NULL; INTEGER or NUMBER) and gets init_ttl; an existing key keeps
 * its expiry. integer + integer stays an integer; with a float it becomes
 * a float. Returns 0; SGW_ENOENT when absent and init is NULL; SGW_EINVAL
 * when the value is not a number; SGW_ERANGE when an integer sum would
 * overflow (nothing changes); SGW_ETOOBIG/SGW_ENOMEM as set. */
int sgw_shared_incr(sgw_shared_dict_t *d, const char *key, size_t klen,
                    const sgw_shared_value_t *by,
                    const sgw_shared_value_t *init, double init_ttl,
                    sgw_shared_value_t *out, int *forcible);

/* A leaky bucket on `key`, exact across threads (GCRA: the "generic cell
 * rate algorithm"). The bucket drains at `rate` requests per second and
 * holds up to `burst` requests beyond the one being let through now: a
 * client may send burst + 1 at once, then one every 1/rate seconds. Each
 * call is one request. Returns 0 when it is allowed (it is counted, and
 * *n gets how many more would be allowed right now), 1 when it is refused
 * (nothing changes, and *n gets the seconds until one more would be
 * allowed), SGW_EINVAL for a rate outside (0, 1e9], a burst outside
 * [0, 1e9] or a key that holds something else, SGW_ETOOBIG/SGW_ENOMEM as
 * set. The key holds the bucket's state (an integer: when it is empty, in
 * monotonic nanoseconds) and expires once the bucket has drained. */
int sgw_shared_limit(sgw_shared_dict_t *d, const char *key, size_t klen,
                     double rate, double burst, double *n, int *forcible);

/* Removes `key`. Returns 0, or SGW_ENOENT when it was not there. */
int sgw_shared_delete(sgw_shared_dict_t *d, const char *key, size_t klen);

/* Removes every entry. */
void sgw_shared_flush_all(sgw_shared_dict_t *d);

/* Up to `max` keys (0: all) that have not expired, most recently written
 * first, appended to `out` (reset first) each as a size_t length then the
 * bytes; *count receives how many. Returns 0 or SGW_ENOMEM. */
int sgw_shared_keys(sgw_shared_dict_t *d, size_t max, sgw_buf_t *out,
                    size_t *count);

/* Capacity and bytes in use now (both in the sense above), entries. */
void sgw_shared_stats(sgw_shared_dict_t *d, size_t *capacity, size_t *used,
                      size_t *count);

#endif
