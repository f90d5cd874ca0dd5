/* Shared dicts (src/runtime/shared.c): sizes and names, every value type,
 * incr (init, TTL on creation only, int/float, overflow), TTL expiry,
 * the byte budget (never exceeded; expired entries evicted before live
 * ones, then the least recently written), and incr from many threads at
 * once summing exactly (the expected sum is threads x iterations); the
 * leaky bucket (limit): burst + 1 at once, then one per 1/rate seconds,
 * and from many threads never more than the rate allows over the time
 * they ran (the bound follows from the rate, not from our output). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime/shared.h"
#include "signgw/error.h"
#include "test.h"

static sgw_buf_t buf;

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static sgw_shared_value_t str(const char *s) {
  return (sgw_shared_value_t){.type = SGW_SHARED_STRING, .s = s,
                              .len = strlen(s)};
}

static sgw_shared_value_t integer(long long i) {
  return (sgw_shared_value_t){.type = SGW_SHARED_INTEGER, .i = i};
}

static sgw_shared_value_t number(double n) {
  return (sgw_shared_value_t){.type = SGW_SHARED_NUMBER, .n = n};
}

static int set(sgw_shared_dict_t *d, const char *k,
               sgw_shared_value_t v, double ttl) {
  return sgw_shared_set(d, k, strlen(k), &v, ttl, NULL);
}

static int get(sgw_shared_dict_t *d, const char *k, sgw_shared_value_t *v) {
  return sgw_shared_get(d, k, strlen(k), v, &buf);
}

static int has(sgw_shared_dict_t *d, const char *k) {
  sgw_shared_value_t v;
  return get(d, k, &v) == 0;
}

static size_t used(sgw_shared_dict_t *d) {
  size_t u;
  sgw_shared_stats(d, NULL, &u, NULL);
  return u;
}

static sgw_shared_dict_t *open_new(const char *name, size_t cap) {
  sgw_shared_dict_t *d = NULL;
  CHECK_EQ_INT(sgw_shared_open(name, cap, &d), SGW_SHARED_CREATED);
  return d;
}

static void test_sizes_and_names(void) {
  size_t n = 0;
  sgw_shared_dict_t *d, *d2;

  test_case("sizes");
  CHECK_EQ_INT(sgw_shared_parse_size("10m", &n), 0);
  CHECK_EQ_INT(n, 10 << 20);
  CHECK_EQ_INT(sgw_shared_parse_size("512K", &n), 0);
  CHECK_EQ_INT(n, 512 << 10);
  CHECK_EQ_INT(sgw_shared_parse_size("1g", &n), 0);
  CHECK_EQ_INT(n, 1 << 30);
  CHECK_EQ_INT(sgw_shared_parse_size("65536", &n), 0);
  CHECK_EQ_INT(n, 65536);
  CHECK_EQ_INT(sgw_shared_parse_size("4095", &n), SGW_ERANGE);
  CHECK_EQ_INT(sgw_shared_parse_size("2048g", &n), SGW_ERANGE);
  CHECK_EQ_INT(sgw_shared_parse_size("99999999999999999999999m", &n),
               SGW_ERANGE);
  CHECK_EQ_INT(sgw_shared_parse_size("10mb", &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_parse_size("-1m", &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_parse_size(" 1m", &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_parse_size("", &n), SGW_EINVAL);

  test_case("names and reopening");
  CHECK_EQ_INT(sgw_shared_open("9lives", 8192, &d), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_open("has-dash", 8192, &d), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_open("", 8192, &d), SGW_EINVAL);
  CHECK_EQ_INT(sgw_shared_open("small", 100, &d), SGW_EINVAL);
  d = open_new("names_t", 8192);
  CHECK_EQ_INT(sgw_shared_open("names_t", 8192, &d2), SGW_SHARED_OPENED);
  CHECK(d2 == d);
  /* Another size: the dict keeps its own, said once per size asked. */
  CHECK_EQ_INT(sgw_shared_open("names_t", 16384, &d2), SGW_SHARED_KEPT);
  CHECK_EQ_INT(sgw_shared_open("names_t", 16384, &d2), SGW_SHARED_OPENED);
  CHECK_EQ_INT(sgw_shared_open("names_t", 8192, &d2), SGW_SHARED_OPENED);
  CHECK_EQ_INT(sgw_shared_open("names_t", 16384, &d2), SGW_SHARED_KEPT);
  {
    size_t cap;
    sgw_shared_stats(d, &cap, NULL, NULL);
    CHECK_EQ_INT(cap, 8192);
  }
  CHECK(sgw_shared_find("names_t", 7) == d);
  CHECK(sgw_shared_find("names", 5) == NULL);
}

static void test_values(void) {
  sgw_shared_dict_t *d = open_new("values_t", 65536);
  static const char bin[] = "a\0b\xff";
  sgw_shared_value_t v, b = {.type = SGW_SHARED_BOOLEAN, .i = 1};
  sgw_shared_value_t bv = {.type = SGW_SHARED_STRING, .s = bin, .len = 4};
  size_t base = used(d);

  test_case("every value type round-trips");
  CHECK_EQ_INT(set(d, "s", str("hello"), 0), 0);
  CHECK_EQ_INT(get(d, "s", &v), 0);
  CHECK_EQ_INT(v.type, SGW_SHARED_STRING);
  CHECK_MEM(v.s, v.len, "hello", 5);
  CHECK_EQ_INT(sgw_shared_set(d, "b\0in", 4, &bv, 0, NULL), 0);
  CHECK_EQ_INT(sgw_shared_get(d, "b\0in", 4, &v, &buf), 0);
  CHECK_MEM(v.s, v.len, bin, 4);
  CHECK_EQ_INT(sgw_shared_get(d, "b", 1, &v, &buf), SGW_ENOENT);
  CHECK_EQ_INT(set(d, "i", integer(-9007199254740993LL), 0), 0);
  CHECK_EQ_INT(get(d, "i", &v), 0);
  CHECK_EQ_INT(v.type, SGW_SHARED_INTEGER);
  CHECK_EQ_INT(v.i, -9007199254740993LL);
  CHECK_EQ_INT(set(d, "n", number(0.25), 0), 0);
  CHECK_EQ_INT(get(d, "n", &v), 0);
  CHECK_EQ_INT(v.type, SGW_SHARED_NUMBER);
  CHECK(v.n == 0.25);
  CHECK_EQ_INT(set(d, "t", b, 0), 0);
  CHECK_EQ_INT(get(d, "t", &v), 0);
  CHECK_EQ_INT(v.type, SGW_SHARED_BOOLEAN);
  CHECK_EQ_INT(v.i, 1);
  CHECK_EQ_INT(set(d, "e", str(""), 0), 0);
  CHECK_EQ_INT(get(d, "e", &v), 0);
  CHECK_EQ_INT(v.len, 0);

  test_case("overwrite with another type; nil deletes");
  CHECK_EQ_INT(set(d, "s", integer(7), 0), 0);
  CHECK_EQ_INT(get(d, "s", &v), 0);
  CHECK_EQ_INT(v.type, SGW_SHARED_INTEGER);
  CHECK_EQ_INT(set(d, "s", (sgw_shared_value_t){.type = SGW_SHARED_NIL}, 0),
               0);
  CHECK_EQ_INT(get(d, "s", &v), SGW_ENOENT);
  CHECK_EQ_INT(sgw_shared_delete(d, "s", 1), SGW_ENOENT);
  CHECK_EQ_INT(sgw_shared_delete(d, "i", 1), 0);
  CHECK(!has(d, "i"));

  test_case("add only when absent");
  v = str("first");
  CHECK_EQ_INT(sgw_shared_add(d, "a", 1, &v, 0, NULL), 0);
  v = str("second");
  CHECK_EQ_INT(sgw_shared_add(d, "a", 1, &v, 0, NULL), 1);
  CHECK_EQ_INT(get(d, "a", &v), 0);
  CHECK_MEM(v.s, v.len, "first", 5);

  test_case("bad arguments");
  CHECK_EQ_INT(set(d, "", str("x"), 0), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "k", str("x"), -1), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "k", str("x"), NAN), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "k", str("x"), INFINITY), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "k", str("x"), 3e9), SGW_EINVAL);
  {
    static char longkey[SGW_SHARED_MAX_KEY + 2];
    memset(longkey, 'k', sizeof(longkey) - 1);
    CHECK_EQ_INT(set(d, longkey, str("x"), 0), SGW_EINVAL);
  }

  test_case("flush_all gives every byte back");
  sgw_shared_flush_all(d);
  CHECK_EQ_INT(used(d), base);
}

static void test_incr(void) {
  sgw_shared_dict_t *d = open_new("incr_t", 65536);
  sgw_shared_value_t one = integer(1), zero = integer(0), out, v;

  test_case("incr: absent without init is not found");
  CHECK_EQ_INT(sgw_shared_incr(d, "c", 1, &one, NULL, 0, &out, NULL),
               SGW_ENOENT);
  CHECK(!has(d, "c"));

  test_case("incr: init, then counting");
  CHECK_EQ_INT(sgw_shared_incr(d, "c", 1, &one, &zero, 0, &out, NULL), 0);
  CHECK_EQ_INT(out.type, SGW_SHARED_INTEGER);
  CHECK_EQ_INT(out.i, 1);
  for (int i = 0; i < 9; i++)
    sgw_shared_incr(d, "c", 1, &one, &zero, 0, &out, NULL);
  CHECK_EQ_INT(out.i, 10);
  v = integer(-15);
  CHECK_EQ_INT(sgw_shared_incr(d, "c", 1, &v, NULL, 0, &out, NULL), 0);
  CHECK_EQ_INT(out.i, -5);

  test_case("incr: a float makes a float");
  v = number(0.5);
  CHECK_EQ_INT(sgw_shared_incr(d, "c", 1, &v, NULL, 0, &out, NULL), 0);
  CHECK_EQ_INT(out.type, SGW_SHARED_NUMBER);
  CHECK(out.n == -4.5);
  CHECK_EQ_INT(get(d, "c", &v), 0);
  CHECK(v.type == SGW_SHARED_NUMBER && v.n == -4.5);

  test_case("incr: integer overflow changes nothing");
  v = integer(9223372036854775807LL);
  CHECK_EQ_INT(set(d, "big", v, 0), 0);
  CHECK_EQ_INT(sgw_shared_incr(d, "big", 3, &one, NULL, 0, &out, NULL),
               SGW_ERANGE);
  CHECK_EQ_INT(get(d, "big", &v), 0);
  CHECK_EQ_INT(v.i, 9223372036854775807LL);

  test_case("incr: not a number");
  CHECK_EQ_INT(set(d, "s", str("12"), 0), 0);
  CHECK_EQ_INT(sgw_shared_incr(d, "s", 1, &one, &zero, 0, &out, NULL),
               SGW_EINVAL);
  v = str("1");
  CHECK_EQ_INT(sgw_shared_incr(d, "c", 1, &v, NULL, 0, &out, NULL),
               SGW_EINVAL);

  test_case("incr: init_ttl applies on creation only");
  CHECK_EQ_INT(sgw_shared_incr(d, "t", 1, &one, &zero, 0.15, &out, NULL), 0);
  sleep_ms(100);
  /* A later TTL does not extend the first. */
  CHECK_EQ_INT(sgw_shared_incr(d, "t", 1, &one, &zero, 10, &out, NULL), 0);
  CHECK_EQ_INT(out.i, 2);
  sleep_ms(100);
  CHECK(!has(d, "t"));
  /* Expired counts as absent: it starts again from init. */
  CHECK_EQ_INT(sgw_shared_incr(d, "t", 1, &one, &zero, 0, &out, NULL), 0);
  CHECK_EQ_INT(out.i, 1);
}

static void test_ttl(void) {
  sgw_shared_dict_t *d = open_new("ttl_t", 65536);
  sgw_shared_value_t v;
  size_t n;

  test_case("TTL: gone after it, never without one");
  CHECK_EQ_INT(set(d, "short", str("x"), 0.1), 0);
  CHECK_EQ_INT(set(d, "long", str("y"), 60), 0);
  CHECK_EQ_INT(set(d, "never", str("z"), 0), 0);
  CHECK(has(d, "short"));
  CHECK_EQ_INT(sgw_shared_keys(d, 0, &buf, &n), 0);
  CHECK_EQ_INT(n, 3);
  sleep_ms(150);
  CHECK_EQ_INT(get(d, "short", &v), SGW_ENOENT);
  CHECK(has(d, "long"));
  CHECK(has(d, "never"));
  test_case("TTL: keys skips expired entries, newest first");
  CHECK_EQ_INT(set(d, "short2", str("x"), 0.05), 0);
  sleep_ms(80);
  CHECK_EQ_INT(sgw_shared_keys(d, 0, &buf, &n), 0);
  CHECK_EQ_INT(n, 2);
  {
    size_t klen;
    memcpy(&klen, buf.base, sizeof(klen));
    CHECK_MEM(buf.base + sizeof(klen), klen, "never", 5);
  }
  CHECK_EQ_INT(sgw_shared_keys(d, 1, &buf, &n), 0);
  CHECK_EQ_INT(n, 1);
  test_case("TTL: setting again replaces the TTL");
  CHECK_EQ_INT(set(d, "r", str("x"), 0.05), 0);
  CHECK_EQ_INT(set(d, "r", str("x"), 0), 0);
  sleep_ms(80);
  CHECK(has(d, "r"));
}

static void test_budget(void) {
  sgw_shared_dict_t *d = open_new("budget_t", 4096);
  sgw_shared_value_t v;
  char key[32], val[40];
  size_t cap, count, max_used = 0;
  int forcible = 0, over = 0;

  test_case("budget: never exceeded, oldest written goes first");
  memset(val, 'v', sizeof(val) - 1);
  val[sizeof(val) - 1] = '\0';
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof(key), "key%d", i);
    v = str(val);
    CHECK_EQ_INT(sgw_shared_set(d, key, strlen(key), &v, 0, &forcible), 0);
    over += used(d) > 4096;
    if (used(d) > max_used)
      max_used = used(d);
  }
  CHECK_EQ_INT(over, 0);
  CHECK(max_used > 4096 - 200); /* it did fill up */
  CHECK(forcible);
  sgw_shared_stats(d, &cap, NULL, &count);
  CHECK(count > 10 && count < 60);
  printf("    %zu entries in %zu bytes\n", count, cap);
  CHECK(has(d, "key499"));
  CHECK(!has(d, "key0"));
  {
    /* the survivors are exactly the newest `count` */
    int newest_ok = 1;
    for (int i = 500 - (int)count; i < 500; i++) {
      snprintf(key, sizeof(key), "key%d", i);
      newest_ok &= has(d, key);
    }
    snprintf(key, sizeof(key), "key%d", 499 - (int)count);
    CHECK(newest_ok);
    CHECK(!has(d, key));
  }

  test_case("budget: rewriting protects, reading does not");
  sgw_shared_flush_all(d);
  for (int i = 0; i < (int)count; i++) {
    snprintf(key, sizeof(key), "r%d", i);
    set(d, key, str(val), 0);
  }
  CHECK(has(d, "r0") && has(d, "r1"));
  set(d, "r0", str(val), 0);         /* r0 is now the newest */
  for (int i = 0; i < 10; i++)
    has(d, "r1");                    /* reads leave r1 the oldest */
  set(d, "extra1", str(val), 0);
  set(d, "extra2", str(val), 0);
  CHECK(has(d, "r0"));
  CHECK(!has(d, "r1"));
  CHECK(used(d) <= 4096);

  test_case("budget: expired entries go before live ones");
  sgw_shared_flush_all(d);
  /* Old entries without TTL first, then newer ones with a short TTL until
   * the dict is full (the first write that had to evict a live entry). */
  for (int i = 0; i < 10; i++) {
    snprintf(key, sizeof(key), "old%d", i);
    set(d, key, str(val), 0);
  }
  forcible = 0;
  for (int i = 0; !forcible && i < 1000; i++) {
    snprintf(key, sizeof(key), "tmp%d", i);
    v = str(val);
    sgw_shared_set(d, key, strlen(key), &v, 0.05, &forcible);
  }
  CHECK(forcible);
  {
    int alive[10], kept = 1, nalive = 0;
    for (int i = 0; i < 10; i++) {
      snprintf(key, sizeof(key), "old%d", i);
      nalive += alive[i] = has(d, key);
    }
    CHECK(nalive >= 5);
    sleep_ms(80);
    forcible = 0;
    for (int i = 0; i < 10; i++) {
      snprintf(key, sizeof(key), "new%d", i);
      v = str(val);
      sgw_shared_set(d, key, strlen(key), &v, 0, &forcible);
    }
    CHECK(!forcible); /* only expired entries had to go */
    for (int i = 0; i < 10; i++) {
      snprintf(key, sizeof(key), "old%d", i);
      kept &= has(d, key) == alive[i];
    }
    CHECK(kept);
    CHECK(has(d, "new9"));
  }
  CHECK(used(d) <= 4096);

  test_case("budget: an entry larger than the dict is refused");
  {
    static char huge[5000];
    memset(huge, 'h', sizeof(huge) - 1);
    CHECK_EQ_INT(set(d, "keep", str("small"), 0), 0);
    CHECK_EQ_INT(set(d, "keep", str(huge), 0), SGW_ETOOBIG);
    CHECK_EQ_INT(get(d, "keep", &v), 0); /* the old value stays */
    CHECK_MEM(v.s, v.len, "small", 5);
    v = str(huge);
    CHECK_EQ_INT(sgw_shared_add(d, "fresh", 5, &v, 0, NULL), SGW_ETOOBIG);
    CHECK(used(d) <= 4096);
  }

  test_case("budget: TTL entries and incr under pressure stay in budget");
  sgw_shared_flush_all(d);
  over = 0;
  for (int i = 0; i < 2000; i++) {
    sgw_shared_value_t one = integer(1), zero = integer(0), out;
    snprintf(key, sizeof(key), "c%d", i % 300);
    sgw_shared_incr(d, key, strlen(key), &one, &zero, (i % 3) ? 0.001 * i : 0,
                    &out, NULL);
    snprintf(key, sizeof(key), "s%d", i);
    set(d, key, str(val + (i % 30)), (i % 2) ? 5 : 0);
    over += used(d) > 4096;
  }
  CHECK_EQ_INT(over, 0);
}

/* ---- threads ---- */

enum { THREADS = 8, ITERS = 100000 };

/* All threads start together, so they really contend. */
static pthread_barrier_t start;

typedef struct worker_s {
  sgw_shared_dict_t *d;
  int id;
  long long last;
} worker_t;

static void *hammer(void *arg) {
  worker_t *w = arg;
  sgw_shared_value_t one = integer(1), zero = integer(0), out;
  sgw_buf_t b;
  char own[16];

  sgw_buf_init(&b);
  snprintf(own, sizeof(own), "own%d", w->id);
  pthread_barrier_wait(&start);
  for (int i = 0; i < ITERS; i++) {
    sgw_shared_value_t v;
    sgw_shared_incr(w->d, "total", 5, &one, &zero, 0, &out, NULL);
    sgw_shared_incr(w->d, own, strlen(own), &one, &zero, 0, &out, NULL);
    w->last = out.i;
    /* Reads and other writes in between, on other keys. */
    if (i % 16 == 0) {
      char k[32];
      snprintf(k, sizeof(k), "noise%d_%d", w->id, i % 64);
      v = str("some value");
      sgw_shared_set(w->d, k, strlen(k), &v, (i % 32) ? 0.01 : 0, NULL);
      sgw_shared_get(w->d, k, strlen(k), &v, &b);
    }
  }
  sgw_buf_free(&b);
  return NULL;
}

static void test_threads(void) {
  sgw_shared_dict_t *d = open_new("threads_t", 1 << 20);
  pthread_t t[THREADS];
  worker_t w[THREADS];
  sgw_shared_value_t v;
  int own_ok = 1;

  test_case("incr from 8 threads sums exactly");
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker_t){.d = d, .id = i};
    pthread_create(&t[i], NULL, hammer, &w[i]);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&start);
  CHECK_EQ_INT(get(d, "total", &v), 0);
  CHECK_EQ_INT(v.i, (long long)THREADS * ITERS);
  for (int i = 0; i < THREADS; i++)
    own_ok &= w[i].last == ITERS;
  CHECK(own_ok);
}

static void *hammer_small(void *arg) {
  worker_t *w = arg;
  char k[32], val[64];

  memset(val, 'x', sizeof(val) - 1);
  val[sizeof(val) - 1] = '\0';
  pthread_barrier_wait(&start);
  for (int i = 0; i < ITERS; i++) {
    sgw_shared_value_t v = str(val + (i % 60));
    snprintf(k, sizeof(k), "k%d_%d", w->id, i % 500);
    sgw_shared_set(w->d, k, strlen(k), &v, (i % 4) ? 0.002 : 0, NULL);
    if (used(w->d) > 8192)
      w->last = 1;
  }
  return NULL;
}

static void test_threads_budget(void) {
  sgw_shared_dict_t *d = open_new("threads_small_t", 8192);
  pthread_t t[4];
  worker_t w[4];
  int over = 0;

  test_case("8 KiB dict written from 4 threads stays within budget");
  pthread_barrier_init(&start, NULL, 4);
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_t){.d = d, .id = i};
    pthread_create(&t[i], NULL, hammer_small, &w[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    over += (int)w[i].last;
  }
  pthread_barrier_destroy(&start);
  CHECK_EQ_INT(over, 0);
  CHECK(used(d) <= 8192);
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int limit(sgw_shared_dict_t *d, const char *k, double rate,
                 double burst, double *n) {
  return sgw_shared_limit(d, k, strlen(k), rate, burst, n, NULL);
}

static void test_limit(void) {
  sgw_shared_dict_t *d = open_new("limit_t", 1 << 16);
  sgw_shared_dict_t *tiny = open_new("limit_tiny_t", 8192);
  double n = -1;

  test_case("limit: burst + 1 at once, then refused with the wait");
  for (int i = 0; i < 5; i++) {
    CHECK_EQ_INT(limit(d, "a", 10, 4, &n), 0);
    CHECK(n == 4 - i);
  }
  CHECK_EQ_INT(limit(d, "a", 10, 4, &n), 1);
  CHECK(n > 0.05 && n <= 0.1);
  CHECK_EQ_INT(limit(d, "b", 10, 4, &n), 0); /* another key is its own */
  CHECK(n == 4);

  test_case("limit: one more per interval");
  sleep_ms(120);
  CHECK_EQ_INT(limit(d, "a", 10, 4, &n), 0);
  CHECK(n == 0);
  CHECK_EQ_INT(limit(d, "a", 10, 4, &n), 1);

  test_case("limit: burst 0 lets one through per interval");
  CHECK_EQ_INT(limit(d, "z", 100, 0, &n), 0);
  CHECK_EQ_INT(limit(d, "z", 100, 0, &n), 1);
  CHECK(n > 0 && n <= 0.01);
  sleep_ms(12);
  CHECK_EQ_INT(limit(d, "z", 100, 0, &n), 0);

  test_case("limit: the key expires once the bucket has drained");
  CHECK(has(d, "z"));
  sleep_ms(30);
  CHECK(!has(d, "z"));

  test_case("limit: bad arguments and keys of another kind");
  CHECK_EQ_INT(limit(d, "a", 0, 1, &n), SGW_EINVAL);
  CHECK_EQ_INT(limit(d, "a", -1, 1, &n), SGW_EINVAL);
  CHECK_EQ_INT(limit(d, "a", NAN, 1, &n), SGW_EINVAL);
  CHECK_EQ_INT(limit(d, "a", 2e9, 1, &n), SGW_EINVAL);
  CHECK_EQ_INT(limit(d, "a", 10, -1, &n), SGW_EINVAL);
  CHECK_EQ_INT(limit(d, "a", 10, NAN, &n), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "s", str("text"), 0), 0);
  CHECK_EQ_INT(limit(d, "s", 10, 1, &n), SGW_EINVAL);
  CHECK_EQ_INT(set(d, "f", number(1.5), 0), 0);
  CHECK_EQ_INT(limit(d, "f", 10, 1, &n), SGW_EINVAL);
  /* An integer without a TTL is taken over and gets the bucket's. */
  CHECK_EQ_INT(set(d, "i", integer(0), 0), 0);
  CHECK_EQ_INT(limit(d, "i", 1000, 0, &n), 0);
  sleep_ms(10);
  CHECK(!has(d, "i"));

  test_case("limit: many keys stay within the byte budget");
  for (int i = 0; i < 2000; i++) {
    char k[32];
    snprintf(k, sizeof(k), "client-%d", i);
    CHECK_EQ_INT(limit(tiny, k, 1, 5, &n), 0);
  }
  CHECK(used(tiny) <= 8192);
}

#define LIMIT_THREADS 8
#define LIMIT_RATE 2000.0
#define LIMIT_BURST 10.0

typedef struct limiter_s {
  sgw_shared_dict_t *d;
  double first, last;
  long allowed;
} limiter_t;

static void *hammer_limit(void *arg) {
  limiter_t *l = arg;
  double n, end;

  pthread_barrier_wait(&start);
  l->first = mono_s();
  end = l->first + 0.3;
  do {
    if (sgw_shared_limit(l->d, "hot", 3, LIMIT_RATE, LIMIT_BURST, &n,
                         NULL) == 0)
      l->allowed++;
  } while ((l->last = mono_s()) < end);
  return NULL;
}

static void test_limit_threads(void) {
  sgw_shared_dict_t *d = open_new("limit_threads_t", 1 << 16);
  pthread_t t[LIMIT_THREADS];
  limiter_t l[LIMIT_THREADS];
  double first = 1e300, last = 0, max;
  long allowed = 0;

  test_case("limit from 8 threads: never more than the rate allows");
  pthread_barrier_init(&start, NULL, LIMIT_THREADS);
  for (int i = 0; i < LIMIT_THREADS; i++) {
    l[i] = (limiter_t){.d = d};
    pthread_create(&t[i], NULL, hammer_limit, &l[i]);
  }
  for (int i = 0; i < LIMIT_THREADS; i++) {
    pthread_join(t[i], NULL);
    allowed += l[i].allowed;
    first = l[i].first < first ? l[i].first : first;
    last = l[i].last > last ? l[i].last : last;
  }
  pthread_barrier_destroy(&start);
  /* GCRA: burst + 1 at the start, then one per 1/rate. */
  max = LIMIT_BURST + 1 + (last - first) * LIMIT_RATE;
  if (!CHECK(allowed <= (long)max + 1))
    printf("  allowed %ld, at most %.1f in %.3f s\n", allowed, max,
           last - first);
  /* And it let requests through at all: the first burst + 1 at least.
   * How close to the bound it gets depends on how much the threads ran
   * (on a loaded machine they wait for a core); that a bucket drains at
   * its rate is checked above, by one thread with known pauses. */
  CHECK(allowed >= (long)LIMIT_BURST + 1);
}

int main(void) {
  sgw_buf_init(&buf);
  test_sizes_and_names();
  test_values();
  test_incr();
  test_ttl();
  test_budget();
  test_threads();
  test_threads_budget();
  test_limit();
  test_limit_threads();
  sgw_buf_free(&buf);
  sgw_shared_free_all();
  return test_report();
}
