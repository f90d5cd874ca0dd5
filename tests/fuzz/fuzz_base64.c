/* libFuzzer target: base64 (standard with padding, URL-safe without) and
 * hex. Encoding round-trips; decoding any input stays inside a buffer of
 * exactly the documented size (heap, so ASan sees one byte too many). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/crypto.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

static void base64_round_trip(const uint8_t *data, size_t size, int url) {
  char *text = malloc(SGW_BASE64_LEN(size) + 1);
  size_t tlen = 0, olen = 0;
  unsigned char *back;

  CHECK(text != NULL);
  sgw_base64_encode(data, size, text, &tlen, url);
  CHECK(text[tlen] == '\0' && strlen(text) == tlen);
  if (url)
    CHECK(tlen == (size * 4 + 2) / 3 && memchr(text, '=', tlen) == NULL &&
          strpbrk(text, "+/") == NULL);
  else
    CHECK(tlen == SGW_BASE64_LEN(size) && strpbrk(text, "-_") == NULL);
  back = malloc(tlen * 3 / 4 + 3);
  CHECK(back != NULL);
  CHECK(sgw_base64_decode(text, tlen, back, &olen, url) == 0);
  CHECK(olen == size && (size == 0 || memcmp(back, data, size) == 0));
  free(back);
  free(text);
}

/* Any input: no overflow; what decodes re-encodes and decodes the same. */
static void base64_decode_any(const uint8_t *data, size_t size, int url) {
  unsigned char *out = malloc(size * 3 / 4 + 3);
  size_t olen = 0;

  CHECK(out != NULL);
  if (sgw_base64_decode((const char *)data, size, out, &olen, url) == 0) {
    CHECK(olen <= size * 3 / 4 + 3);
    base64_round_trip(out, olen, url);
  }
  free(out);
}

static void hex(const uint8_t *data, size_t size) {
  char *text = malloc(2 * size + 1);
  unsigned char *back = malloc(size + 1), *out = malloc(size / 2 + 1);
  size_t olen = 0;

  CHECK(text && back && out);
  sgw_hex_encode(data, size, text);
  CHECK(strlen(text) == 2 * size);
  CHECK(sgw_hex_decode(text, 2 * size, back, &olen) == 0);
  CHECK(olen == size && (size == 0 || memcmp(back, data, size) == 0));
  free(out);
  /* Decoding any input into exactly len/2 bytes. */
  out = malloc(size / 2 ? size / 2 : 1);
  CHECK(out != NULL);
  if (sgw_hex_decode((const char *)data, size, out, &olen) == 0) {
    CHECK(size % 2 == 0 && olen == size / 2);
    for (size_t i = 0; i < size; i++)
      CHECK(sgw_hex_digit(data[i]) >= 0);
  }
  free(out);
  free(back);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int url = 0; url <= 1; url++) {
    base64_round_trip(data, size, url);
    base64_decode_any(data, size, url);
  }
  hex(data, size);
  return 0;
}
