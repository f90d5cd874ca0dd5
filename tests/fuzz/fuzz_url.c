/* libFuzzer target: URL decoding (both modes), query string iteration and
 * the encode/decode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/buf.h"
#include "signgw/url.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

static int upper_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  sgw_buf_t a, b, enc, dec;
  sgw_query_iter_t it;
  const char *k, *v;
  size_t kl, vl, pairs = 0;
  int has, ra, rb;

  sgw_buf_init(&a);
  sgw_buf_init(&b);
  sgw_buf_init(&enc);
  sgw_buf_init(&dec);

  /* Decoding never grows the text; both modes agree on validity, and
   * without '+' on the result. */
  ra = sgw_url_decode(&a, s, size, 0);
  rb = sgw_url_decode(&b, s, size, 1);
  CHECK((ra == 0) == (rb == 0));
  if (ra == 0) {
    CHECK(a.len <= size && b.len == a.len);
    if (memchr(s, '+', size) == NULL)
      CHECK(memcmp(a.base, b.base, a.len) == 0);
  }

  /* Query pairs stay inside the input, in order, never empty. */
  sgw_query_init(&it, s, size);
  const char *last = s;
  while (sgw_query_next(&it, &k, &kl, &v, &vl, &has)) {
    CHECK(++pairs <= size);
    CHECK(k >= last && k + kl <= s + size);
    CHECK(kl > 0 || has);
    if (has)
      CHECK(v >= k + kl && v + vl <= s + size);
    else
      CHECK(vl == 0);
    CHECK(memchr(k, '&', kl) == NULL && (!has || memchr(v, '&', vl) == NULL));
    last = k + kl;
    sgw_buf_reset(&a);
    (void)sgw_url_decode(&a, k, kl, 1);
    if (has) {
      sgw_buf_reset(&a);
      (void)sgw_url_decode(&a, v, vl, 1);
    }
  }

  /* encode: only unreserved characters and %XX (upper-case hex); decode
   * in either mode gives the input back. */
  CHECK(sgw_url_encode(&enc, s, size) == 0);
  CHECK(enc.len >= size && enc.len <= 3 * size);
  for (size_t i = 0; i < enc.len; i++) {
    unsigned char c = (unsigned char)enc.base[i];
    if (c == '%') {
      CHECK(i + 2 < enc.len && upper_hex((unsigned char)enc.base[i + 1]) &&
            upper_hex((unsigned char)enc.base[i + 2]));
      i += 2;
    } else {
      CHECK(unreserved(c));
    }
  }
  for (int plus = 0; plus <= 1; plus++) {
    sgw_buf_reset(&dec);
    CHECK(sgw_url_decode(&dec, enc.base ? enc.base : "", enc.len, plus) == 0);
    CHECK(dec.len == size && (size == 0 || memcmp(dec.base, s, size) == 0));
  }

  sgw_buf_free(&a);
  sgw_buf_free(&b);
  sgw_buf_free(&enc);
  sgw_buf_free(&dec);
  return 0;
}
