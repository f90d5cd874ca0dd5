/* What the signing fuzz targets share: an input cut into fields at '\n',
 * numbers made of field bytes, C strings from fields, the check that no
 * output holds the secret, and a check that aborts (which libFuzzer
 * reports with the input). */
#ifndef SGW_FUZZ_FIELDS_H
#define SGW_FUZZ_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* A NUL-terminated copy of a field (the APIs take C strings for some
 * fields; a NUL byte in it cuts the string short). The caller frees it. */
static inline char *fuzz_cstr(const field_t *f) {
  char *s = malloc(f->len + 1);
  CHECK(s != NULL);
  memcpy(s, f->p, f->len);
  s[f->len] = '\0';
  return s;
}

/* Aborts when p[0..len) holds the k bytes of secret; p may be NULL. */
static inline void fuzz_no_secret(const char *p, size_t len,
                                  const char *secret, size_t k) {
  for (size_t i = 0; p != NULL && i + k <= len; i++)
    CHECK(memcmp(p + i, secret, k) != 0);
}

#endif
