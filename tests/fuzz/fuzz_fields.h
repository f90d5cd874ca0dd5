/* What the COS fuzz targets share: an input cut into fields at '\n',
 * numbers made of field bytes, and a check that aborts (which libFuzzer
 * reports with the input). */
#ifndef SGW_FUZZ_FIELDS_H
#define SGW_FUZZ_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

typedef struct field_s {
  const char *p;
  size_t len;
} field_t;

/* Up to max fields separated by '\n'; the rest of f is left as is. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, field_t *f,
                                size_t max) {
  size_t n = 0, start = 0;

  for (size_t i = 0; i <= size && n < max; i++) {
    if (i == size || data[i] == '\n') {
      f[n].p = (const char *)data + start;
      f[n].len = i - start;
      n++;
      start = i + 1;
    }
  }
  return n;
}

/* Up to 8 bytes as a number in +-2^61 (room to add to it). */
static inline int64_t fuzz_num(const field_t *f) {
  uint64_t v = 0;
  for (size_t i = 0; i < f->len && i < 8; i++)
    v = v << 8 | (unsigned char)f->p[i];
  return (int64_t)(v % (1ULL << 62)) - (1LL << 61);
}

#endif
