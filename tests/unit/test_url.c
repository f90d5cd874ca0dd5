/* URL encoding, decoding and the query iterator. */
#include <string.h>

#include "signgw/buf.h"
#include "signgw/error.h"
#include "signgw/url.h"
#include "test.h"

/* Expected encodings come from Node.js (an independent implementation):
 *   encodeURIComponent(s).replace(/[!'()*]/g,
 *       c => "%" + c.charCodeAt(0).toString(16).toUpperCase())
 * run once with `node -e` and pasted here. */
static const struct {
  const char *in;
  const char *want;
} encode_vecs[] = {
    {"", ""},
    {"abcXYZ019-_.~", "abcXYZ019-_.~"},
    {"a b", "a%20b"},
    {"+", "%2B"},
    {"!'()*", "%21%27%28%29%2A"},
    {"=&/?#%~", "%3D%26%2F%3F%23%25~"},
    {"中文 文件.jpg", "%E4%B8%AD%E6%96%87%20%E6%96%87%E4%BB%B6.jpg"},
    {"😀", "%F0%9F%98%80"},
    {"é", "%C3%A9"},
    {"a+b c/d?e=f&g#h%i", "a%2Bb%20c%2Fd%3Fe%3Df%26g%23h%25i"},
    {"photos/2024/猫 cat (1).png",
     "photos%2F2024%2F%E7%8C%AB%20cat%20%281%29.png"},
    {"\t\r\n\x7f", "%09%0D%0A%7F"},
    {"`@$,;:[]{}|^\\\"<>", "%60%40%24%2C%3B%3A%5B%5D%7B%7D%7C%5E%5C%22%3C%3E"},
};

static void test_encode(void) {
  sgw_buf_t b;
  size_t i;

  sgw_buf_init(&b);
  for (i = 0; i < sizeof(encode_vecs) / sizeof(encode_vecs[0]); i++) {
    test_case(encode_vecs[i].in);
    sgw_buf_reset(&b);
    CHECK_EQ_INT(
        sgw_url_encode(&b, encode_vecs[i].in, strlen(encode_vecs[i].in)),
        SGW_OK);
    CHECK_EQ_STR(b.base, encode_vecs[i].want);
    CHECK_EQ_INT(b.len, strlen(encode_vecs[i].want));
  }

  /* Bytes JavaScript strings cannot hold (NUL, invalid UTF-8) are still
   * encoded byte by byte. */
  test_case("raw bytes");
  sgw_buf_reset(&b);
  CHECK_EQ_INT(sgw_url_encode(&b, "a\0\xff\x80z", 5), SGW_OK);
  CHECK_EQ_STR(b.base, "a%00%FF%80z");

  test_case("encode appends");
  sgw_buf_reset(&b);
  sgw_buf_appends(&b, "k=");
  CHECK_EQ_INT(sgw_url_encode(&b, "a b", 3), SGW_OK);
  CHECK_EQ_STR(b.base, "k=a%20b");

  test_case("every byte value");
  {
    char all[256];
    size_t n, unreserved = 0;

    for (i = 0; i < 256; i++) {
      all[i] = (char)i;
      if ((i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
          (i >= '0' && i <= '9') || i == '-' || i == '_' || i == '.' ||
          i == '~')
        unreserved++;
    }
    CHECK_EQ_INT(unreserved, 66);
    sgw_buf_reset(&b);
    CHECK_EQ_INT(sgw_url_encode(&b, all, sizeof all), SGW_OK);
    n = unreserved + 3 * (256 - unreserved);
    CHECK_EQ_INT(b.len, n);
  }
  sgw_buf_free(&b);
}

struct decode_vec {
  const char *name;
  const char *in;
  int plus_as_space;
  int rc;
  const char *want; /* may hold NULs: compared over want_len */
  size_t want_len;
};

static const struct decode_vec decode_vecs[] = {
    {"empty", "", 0, SGW_OK, "", 0},
    {"plain", "abc", 0, SGW_OK, "abc", 3},
    {"%2F upper", "a%2Fb", 0, SGW_OK, "a/b", 3},
    {"%2f lower", "a%2fb", 0, SGW_OK, "a/b", 3},
    {"plus kept", "a+b", 0, SGW_OK, "a+b", 3},
    {"plus as space", "a+b", 1, SGW_OK, "a b", 3},
    {"%2B stays plus with plus_as_space", "a%2Bb", 1, SGW_OK, "a+b", 3},
    {"%20", "a%20b", 0, SGW_OK, "a b", 3},
    {"%00 kept", "a%00b", 0, SGW_OK, "a\0b", 3},
    {"utf-8", "%E4%B8%AD%e6%96%87", 0, SGW_OK, "中文", 6},
    {"invalid utf-8 passes", "%FF%C0", 0, SGW_OK, "\xff\xc0", 2},
    {"%25 decodes once", "%2541", 0, SGW_OK, "%41", 3},
    {"truncated % at end", "abc%", 0, SGW_EINVAL, NULL, 0},
    {"truncated %X at end", "abc%4", 0, SGW_EINVAL, NULL, 0},
    {"%zz", "a%zzb", 0, SGW_EINVAL, NULL, 0},
    {"%g0", "%g0", 0, SGW_EINVAL, NULL, 0},
    {"%0g", "%0g", 0, SGW_EINVAL, NULL, 0},
    {"% then space", "% 1", 0, SGW_EINVAL, NULL, 0},
    {"signed hex %-1", "%-1", 0, SGW_EINVAL, NULL, 0},
};

static void test_decode(void) {
  sgw_buf_t b;
  size_t i;

  sgw_buf_init(&b);
  for (i = 0; i < sizeof(decode_vecs) / sizeof(decode_vecs[0]); i++) {
    const struct decode_vec *v = &decode_vecs[i];

    test_case(v->name);
    sgw_buf_reset(&b);
    sgw_buf_appends(&b, "pre:");
    CHECK_EQ_INT(sgw_url_decode(&b, v->in, strlen(v->in), v->plus_as_space),
                 v->rc);
    if (v->rc == SGW_OK) {
      CHECK_MEM(b.base + 4, b.len - 4, v->want, v->want_len);
    } else {
      /* A failed decode leaves the buffer as it was. */
      CHECK_EQ_STR(b.base, "pre:");
    }
  }

  test_case("decode stops at len");
  sgw_buf_reset(&b);
  CHECK_EQ_INT(sgw_url_decode(&b, "%41%42", 3, 0), SGW_OK);
  CHECK_EQ_STR(b.base, "A");
  CHECK_EQ_INT(sgw_url_decode(&b, "%41%42", 5, 0), SGW_EINVAL);
  CHECK_EQ_STR(b.base, "A");

  test_case("decode of an encode is the identity");
  {
    static const char s[] = "中文 文件.jpg !'()*+=&/?#%~\x01";
    sgw_buf_t enc;

    sgw_buf_init(&enc);
    sgw_buf_reset(&b);
    CHECK_EQ_INT(sgw_url_encode(&enc, s, sizeof s - 1), SGW_OK);
    CHECK_EQ_INT(sgw_url_decode(&b, enc.base, enc.len, 1), SGW_OK);
    CHECK_MEM(b.base, b.len, s, sizeof s - 1);
    sgw_buf_free(&enc);
  }
  sgw_buf_free(&b);
}

/* The iterator's output, flattened as "key(=value)|key|..." with "=" only
 * when has_value is set, so one string comparison checks a whole walk. */
static void walk(const char *q, size_t len, sgw_buf_t *out) {
  sgw_query_iter_t it;
  const char *k, *v;
  size_t kl, vl;
  int hv;

  sgw_buf_reset(out);
  sgw_buf_appends(out, "");
  sgw_query_init(&it, q, len);
  while (sgw_query_next(&it, &k, &kl, &v, &vl, &hv)) {
    sgw_buf_append(out, k, kl);
    if (hv) {
      sgw_buf_appendc(out, '=');
      sgw_buf_append(out, v, vl);
    } else {
      /* Without '=' the value is empty but still a valid pointer. */
      CHECK(v != NULL);
      CHECK_EQ_INT(vl, 0);
    }
    sgw_buf_appendc(out, '|');
  }
  /* Exhausted iterators stay exhausted. */
  CHECK_EQ_INT(sgw_query_next(&it, &k, &kl, &v, &vl, &hv), 0);
}

static void test_query(void) {
  static const struct {
    const char *q;
    const char *want;
  } vecs[] = {
      {"a=1&b=&c&&d=x=y", "a=1|b=|c|d=x=y|"},
      {"", ""},
      {"&", ""},
      {"&&&", ""},
      {"&a=1", "a=1|"},
      {"a=1&", "a=1|"},
      {"&&a=1&&b&&", "a=1|b|"},
      {"=v", "=v|"},
      {"k=", "k=|"},
      {"k", "k|"},
      {"a%20b=c+d", "a%20b=c+d|"}, /* no decoding */
  };
  sgw_buf_t b;
  size_t i;

  sgw_buf_init(&b);
  for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
    test_case(vecs[i].q);
    walk(vecs[i].q, strlen(vecs[i].q), &b);
    CHECK_EQ_STR(b.base, vecs[i].want);
  }

  test_case("NULL query of length 0");
  walk(NULL, 0, &b);
  CHECK_EQ_STR(b.base, "");

  test_case("length bounds the walk");
  walk("a=1&b=2", 5, &b);
  CHECK_EQ_STR(b.base, "a=1|b|");

  test_case("has_value distinguishes b= from b");
  {
    sgw_query_iter_t it;
    const char *k, *v;
    size_t kl, vl;
    int hv = -1;

    sgw_query_init(&it, "b=&b", 4);
    CHECK_EQ_INT(sgw_query_next(&it, &k, &kl, &v, &vl, &hv), 1);
    CHECK_EQ_INT(hv, 1);
    CHECK_MEM(k, kl, "b", 1);
    CHECK_EQ_INT(vl, 0);
    CHECK_EQ_INT(sgw_query_next(&it, &k, &kl, &v, &vl, &hv), 1);
    CHECK_EQ_INT(hv, 0);
    CHECK_MEM(k, kl, "b", 1);
    CHECK_EQ_INT(sgw_query_next(&it, &k, &kl, &v, &vl, &hv), 0);
  }
  sgw_buf_free(&b);
}

int main(void) {
  test_encode();
  test_decode();
  test_query();
  return test_report();
}
