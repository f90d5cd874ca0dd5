/* The metrics registry (src/runtime/metrics.c): definitions and their
 * checks, redefinition, label escaping and limits, histogram buckets,
 * and counters, gauges and histograms updated from many threads at once
 * while another thread renders: every sum a scrape shows only grows, and
 * the final sums are exactly threads x iterations. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/metrics.h"
#include "test.h"

#define THREADS 4
#define ITERS 200000

static char err[256];

/* The value of the sample line `prefix` ("name{labels}") in text, or NAN. */
static double sample(const char *text, const char *prefix) {
  size_t n = strlen(prefix);
  const char *p = text;

  while ((p = strstr(p, prefix)) != NULL) {
    if ((p == text || p[-1] == '\n') && p[n] == ' ')
      return strtod(p + n + 1, NULL);
    p += n;
  }
  return NAN;
}

static char *render(sgw_metrics_t *m) {
  sgw_buf_t b;
  sgw_buf_init(&b);
  CHECK_EQ_INT(sgw_metrics_render(m, &b), 0);
  return b.base;
}

static void test_definitions(void) {
  sgw_metrics_t *m;
  const char *ab[] = {"a", "b"}, *le[] = {"le"}, *dup[] = {"a", "a"};
  const char *bad_label[] = {"1x"}, *reserved[] = {"__x"};
  double down[] = {1, 0.5}, inf[] = {1, INFINITY};
  sgw_metric_t *c, *again;

  test_case("definitions");
  CHECK_EQ_INT(sgw_metrics_new(&m), 0);
  c = sgw_metrics_define(m, SGW_METRIC_COUNTER, "app_hits_total", "Hits.",
                         ab, 2, NULL, 0, err, sizeof(err));
  CHECK(c != NULL);
  again = sgw_metrics_define(m, SGW_METRIC_COUNTER, "app_hits_total",
                             "Other help.", ab, 2, NULL, 0, err,
                             sizeof(err));
  CHECK(again == c);
  CHECK(sgw_metrics_define(m, SGW_METRIC_GAUGE, "app_hits_total", "", ab, 2,
                           NULL, 0, err, sizeof(err)) == NULL);
  CHECK(strstr(err, "already defined as a counter") != NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "app_hits_total", "", ab,
                           1, NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "9lives", "", NULL, 0,
                           NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "a-b", "", NULL, 0, NULL,
                           0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "", "", NULL, 0, NULL, 0,
                           err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "ns:ok_total", "", NULL,
                           0, NULL, 0, err, sizeof(err)) != NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "x_total", "", bad_label,
                           1, NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "x_total", "", reserved,
                           1, NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "x_total", "", dup, 2,
                           NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_COUNTER, "x_total", "", le, 1,
                           NULL, 0, err, sizeof(err)) != NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "h_seconds", "", le, 1,
                           NULL, 0, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "h_seconds", "", NULL, 0,
                           down, 2, err, sizeof(err)) == NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "h_seconds", "", NULL, 0,
                           inf, 2, err, sizeof(err)) == NULL);
  /* Default buckets, then the same explicitly: another definition. */
  CHECK(sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "h_seconds", "", NULL, 0,
                           NULL, 0, err, sizeof(err)) != NULL);
  CHECK(sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "h_seconds", "", NULL, 0,
                           down + 1, 1, err, sizeof(err)) == NULL);
  sgw_metrics_free(m);
}

static void test_labels(void) {
  sgw_metrics_t *m;
  const char *k[] = {"k"};
  const char *odd[] = {"a\"b\\c\nd"};
  const char *bad[] = {"\xff"};
  char big[SGW_METRICS_MAX_VALUE + 2];
  const char *bigv[] = {big};
  sgw_metric_t *f, *g;
  sgw_series_t *s = NULL;
  char *text, name[32];
  int refused = 0;

  test_case("label values: escaping, UTF-8, length, series limit");
  CHECK_EQ_INT(sgw_metrics_new(&m), 0);
  f = sgw_metrics_define(m, SGW_METRIC_COUNTER, "esc_total",
                         "Help with \\ and\nnewline.", k, 1, NULL, 0, err,
                         sizeof(err));
  sgw_metrics_add(sgw_metrics_series(f, odd, NULL), 2);
  CHECK(sgw_metrics_series(f, bad, NULL) == NULL);
  {
    const char *nul[] = {"a\0b"};
    size_t len[] = {3};
    CHECK(sgw_metrics_series(f, nul, len) == NULL);
  }
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  CHECK(sgw_metrics_series(f, bigv, NULL) == NULL);
  big[SGW_METRICS_MAX_VALUE] = '\0';
  CHECK(sgw_metrics_series(f, bigv, NULL) != NULL);
  text = render(m);
  CHECK(strstr(text, "# HELP esc_total Help with \\\\ and\\nnewline.\n") !=
        NULL);
  CHECK(sample(text, "esc_total{k=\"a\\\"b\\\\c\\nd\"}") == 2);
  free(text);

  g = sgw_metrics_define(m, SGW_METRIC_COUNTER, "many_total", "", k, 1, NULL,
                         0, err, sizeof(err));
  for (int i = 0; i <= SGW_METRICS_MAX_SERIES; i++) {
    const char *v[] = {name};
    snprintf(name, sizeof(name), "v%d", i);
    s = sgw_metrics_series(g, v, NULL);
    refused += s == NULL;
  }
  CHECK_EQ_INT(refused, 1);
  CHECK(s == NULL); /* the one past the limit */
  sgw_metrics_free(m);
}

static void test_histogram(void) {
  sgw_metrics_t *m;
  double b[] = {0.1, 1, 10};
  double obs[] = {0.05, 0.1, 0.2, 1, 5, 50, 0.1, -1};
  const unsigned nobs = sizeof(obs) / sizeof(*obs);
  sgw_metric_t *h;
  sgw_series_t *s;
  char *text, line[64];
  double sum = 0;

  test_case("histogram: cumulative buckets, sum, count");
  CHECK_EQ_INT(sgw_metrics_new(&m), 0);
  h = sgw_metrics_define(m, SGW_METRIC_HISTOGRAM, "lat_seconds", "Latency.",
                         NULL, 0, b, 3, err, sizeof(err));
  s = sgw_metrics_series(h, NULL, NULL);
  for (unsigned i = 0; i < nobs; i++) {
    sgw_metrics_observe(s, obs[i]);
    sum += obs[i];
  }
  sgw_metrics_add(s, 1); /* not for a histogram: ignored */
  text = render(m);
  CHECK(strstr(text, "# TYPE lat_seconds histogram\n") != NULL);
  for (unsigned k = 0; k <= 3; k++) {
    unsigned want = 0;
    for (unsigned i = 0; i < nobs; i++)
      want += k == 3 || obs[i] <= b[k];
    if (k < 3)
      snprintf(line, sizeof(line), "lat_seconds_bucket{le=\"%g\"}", b[k]);
    else
      snprintf(line, sizeof(line), "lat_seconds_bucket{le=\"+Inf\"}");
    if (!CHECK(sample(text, line) == want))
      printf("    %s: want %u in\n%s\n", line, want, text);
  }
  CHECK(sample(text, "lat_seconds_count") == nobs);
  CHECK(fabs(sample(text, "lat_seconds_sum") - sum) < 1e-9);
  CHECK(sgw_metrics_value(s) == nobs);
  free(text);
  sgw_metrics_free(m);
}

/* ---- threads --------------------------------------------------------- */

static sgw_metrics_t *tm;
static sgw_metric_t *t_counter, *t_gauge, *t_hist;
static volatile int t_done;

static void *writer(void *arg) {
  long id = (long)arg;
  const char *mine[] = {id % 2 ? "odd" : "even"};
  const char *all[] = {"all"};

  for (int i = 0; i < ITERS; i++) {
    /* Looked up each time: the thread's own map, no lock after the first. */
    sgw_metrics_add(sgw_metrics_series(t_counter, all, NULL), 1);
    sgw_metrics_add(sgw_metrics_series(t_counter, mine, NULL), 1);
    sgw_metrics_add(sgw_metrics_series(t_gauge, NULL, NULL), 1);
    if (i % 2)
      sgw_metrics_add(sgw_metrics_series(t_gauge, NULL, NULL), -1);
    sgw_metrics_observe(sgw_metrics_series(t_hist, NULL, NULL),
                        i % 2 ? 0.5 : 2);
  }
  return NULL;
}

/* Scrapes while the writers run: a counter's sum never goes down. */
static void *scraper(void *arg) {
  double last = 0;
  int bad = 0, n = 0;

  (void)arg;
  while (!t_done) {
    char *text = render(tm);
    double v = sample(text, "t_total{k=\"all\"}");
    if (!isnan(v)) {
      bad += v < last;
      last = v;
    }
    n++;
    free(text);
  }
  return (void *)(long)(bad * 1000000 + (n > 0));
}

static void test_threads(void) {
  pthread_t w[THREADS], s;
  const char *k[] = {"k"};
  const char *all[] = {"all"}, *odd[] = {"odd"}, *even[] = {"even"};
  void *res;
  char *text;

  test_case("counters, gauges, histograms from many threads");
  CHECK_EQ_INT(sgw_metrics_new(&tm), 0);
  t_counter = sgw_metrics_define(tm, SGW_METRIC_COUNTER, "t_total", "", k, 1,
                                 NULL, 0, err, sizeof(err));
  t_gauge = sgw_metrics_define(tm, SGW_METRIC_GAUGE, "t_gauge", "", NULL, 0,
                               NULL, 0, err, sizeof(err));
  t_hist = sgw_metrics_define(tm, SGW_METRIC_HISTOGRAM, "t_seconds", "",
                              NULL, 0, NULL, 0, err, sizeof(err));
  pthread_create(&s, NULL, scraper, NULL);
  for (long i = 0; i < THREADS; i++)
    pthread_create(&w[i], NULL, writer, (void *)i);
  for (int i = 0; i < THREADS; i++)
    pthread_join(w[i], NULL);
  t_done = 1;
  pthread_join(s, &res);
  CHECK_EQ_INT((long)res, 1); /* it scraped, and never saw a sum go down */
  CHECK_EQ_INT(sgw_metrics_value(sgw_metrics_series(t_counter, all, NULL)),
               THREADS * ITERS);
  CHECK_EQ_INT(sgw_metrics_value(sgw_metrics_series(t_counter, odd, NULL)),
               THREADS / 2 * ITERS);
  CHECK_EQ_INT(sgw_metrics_value(sgw_metrics_series(t_counter, even, NULL)),
               THREADS / 2 * ITERS);
  CHECK_EQ_INT(sgw_metrics_value(sgw_metrics_series(t_gauge, NULL, NULL)),
               THREADS * ITERS / 2);
  text = render(tm);
  CHECK(sample(text, "t_seconds_count") == THREADS * ITERS);
  CHECK(sample(text, "t_seconds_bucket{le=\"0.5\"}") == THREADS * ITERS / 2);
  CHECK(sample(text, "t_seconds_sum") ==
        THREADS * (ITERS / 2 * 0.5 + ITERS / 2 * 2.0));
  CHECK(sample(text, "t_gauge") == THREADS * ITERS / 2);
  free(text);
  sgw_metrics_set(sgw_metrics_series(t_gauge, NULL, NULL), -3.25);
  CHECK(sgw_metrics_value(sgw_metrics_series(t_gauge, NULL, NULL)) == -3.25);
  sgw_metrics_free(tm);
}

static void test_format(void) {
  sgw_buf_t b;

  test_case("sample values");
  sgw_buf_init(&b);
  sgw_metrics_write_sample(&b, "a", NULL, 3);
  sgw_metrics_write_sample(&b, "b", "x=\"1\"", 0.1);
  sgw_metrics_write_sample(&b, "c", "", 1e20);
  sgw_metrics_write_sample(&b, "d", NULL, -INFINITY);
  sgw_metrics_write_sample(&b, "e", NULL, NAN);
  CHECK_EQ_STR(b.base, "a 3\nb{x=\"1\"} 0.1\nc 1e+20\nd -Inf\ne NaN\n");
  sgw_buf_free(&b);
}

int main(void) {
  test_definitions();
  test_labels();
  test_histogram();
  test_threads();
  test_format();
  return test_report();
}
