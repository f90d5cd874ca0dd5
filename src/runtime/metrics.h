/* Metrics: counters, gauges and histograms with labels, recorded without
 * a lock and rendered in the Prometheus text exposition format (0.0.4).
 *
 * A registry holds families (name, help, type, label names, buckets) and
 * their series (one per set of label values). Defining a family, and the
 * first time a thread meets a set of label values, take the registry's
 * mutex; recording never does:
 * - counters and histograms live in per-thread shards. A thread gets its
 *   shard on its first update and is the only writer of its cells (relaxed
 *   atomic loads and stores: plain moves on x86-64); a scrape on any
 *   thread sums every shard's cells with relaxed loads.
 * - a gauge is one cell for the whole process (set must mean the same on
 *   every worker), changed with an atomic store or compare-and-swap.
 * Each thread also keeps its own map from label values to series, so
 * looking a series up by its label values takes no lock after the first
 * time either.
 *
 * Limits keep a careless label (a user id, a path) from eating memory:
 * SGW_METRICS_MAX_SERIES per family, SGW_METRICS_MAX_CELLS in all; label
 * values are 0 to SGW_METRICS_MAX_VALUE bytes of valid UTF-8. A series
 * that cannot be made is NULL, and recording into NULL does nothing (the
 * registry counts those refusals and logs the first per family).
 *
 * Ownership: the registry owns families, series and shards; their
 * pointers stay valid until sgw_metrics_free(), which runs once no thread
 * records any more. Everything here is thread-safe unless said. */
#ifndef SGW_METRICS_H
#define SGW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "signgw/buf.h"

#define SGW_METRICS_MAX_LABELS 8
#define SGW_METRICS_MAX_BUCKETS 32
#define SGW_METRICS_MAX_NAME 128
#define SGW_METRICS_MAX_HELP 512
#define SGW_METRICS_MAX_VALUE 256
#define SGW_METRICS_MAX_SERIES 10000
#define SGW_METRICS_MAX_CELLS (1u << 20)

typedef enum sgw_metric_type_e {
  SGW_METRIC_COUNTER,
  SGW_METRIC_GAUGE,
  SGW_METRIC_HISTOGRAM
} sgw_metric_type_t;

typedef struct sgw_metrics_s sgw_metrics_t;
typedef struct sgw_metric_s sgw_metric_t;   /* a family */
typedef struct sgw_series_s sgw_series_t;   /* one set of label values */

/* A new, empty registry. Returns 0 or SGW_ENOMEM. */
int sgw_metrics_new(sgw_metrics_t **out);
/* Frees the registry and everything in it. */
void sgw_metrics_free(sgw_metrics_t *m);

/* Defines family `name` or finds it: defining it again with the same
 * type, label names and buckets returns the same family (its help stays
 * the first one). Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (histograms: not "le").
 * `buckets` (histograms only; NULL/0 for the default set) are finite
 * upper bounds in increasing order. Returns the family, or NULL with the
 * reason in err (bad name, a clash with an earlier definition, too many
 * families, out of memory). */
sgw_metric_t *sgw_metrics_define(sgw_metrics_t *m, sgw_metric_type_t type,
                                 const char *name, const char *help,
                                 const char *const *labels, unsigned nlabels,
                                 const double *buckets, unsigned nbuckets,
                                 char *err, size_t errlen);

/* The series of `f` with these label values (as many as the family has
 * label names; lens[i] bytes each, or NULL lens for C strings), made on
 * first use. NULL when a value is too long or not UTF-8, or past a limit. */
sgw_series_t *sgw_metrics_series(sgw_metric_t *f, const char *const *values,
                                 const size_t *lens);

/* Counter: adds v (>= 0; anything else is ignored). Gauge: adds v (may be
 * negative). Histogram: not allowed (ignored). */
void sgw_metrics_add(sgw_series_t *s, double v);
/* Gauge only: sets the value. */
void sgw_metrics_set(sgw_series_t *s, double v);
/* Histogram only: counts one observation of v. */
void sgw_metrics_observe(sgw_series_t *s, double v);

/* The family's type, name and label count (for bindings). */
sgw_metric_type_t sgw_metrics_type(const sgw_metric_t *f);
const char *sgw_metrics_name(const sgw_metric_t *f);
unsigned sgw_metrics_nlabels(const sgw_metric_t *f);

/* The value of a counter or gauge series summed over every thread, or a
 * histogram's count (for tests and built-in answers). */
double sgw_metrics_value(const sgw_series_t *s);

/* Appends every family, in the order they were defined, in the text
 * exposition format. Returns 0 or SGW_ENOMEM. */
int sgw_metrics_render(sgw_metrics_t *m, sgw_buf_t *out);

/* ---- helpers for values computed at scrape time ---- */

/* Appends "# HELP name help\n# TYPE name type\n". */
int sgw_metrics_write_head(sgw_buf_t *out, const char *name,
                           const char *help, sgw_metric_type_t type);
/* Appends "name{labels} value\n"; `labels` is preformatted
 * (`a="x",b="y"`) or NULL. */
int sgw_metrics_write_sample(sgw_buf_t *out, const char *name,
                             const char *labels, double value);
/* Appends v as a label value, escaped (\\, \", \n). */
int sgw_metrics_write_label_value(sgw_buf_t *out, const char *v, size_t len);

#endif
