/* Hashes, HMACs and encoders against published vectors.
 *
 * Expected values are copied from the standards named at each table
 * (FIPS 180, RFC 1321, RFC 2202, RFC 4231, RFC 4648), never produced by
 * our code. */
#include <stdlib.h>
#include <string.h>

#include "signgw/crypto.h"
#include "signgw/error.h"
#include "test.h"

/* Hex text of a digest, for comparing with the published hex strings. */
static void hexify(const unsigned char *d, size_t n, char *out) {
  sgw_hex_encode(d, n, out);
}

/* ---- SHA-1 / SHA-256: FIPS 180-2 appendix examples ---------------------- */

static const char abc448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

struct digest_vec {
  const char *name;
  const char *msg;
  const char *sha1;
  const char *sha256;
};

static const struct digest_vec digest_vecs[] = {
    {"\"abc\"", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"empty", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"448-bit", abc448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_digests(void) {
  unsigned char d1[SGW_SHA1_LEN], d256[SGW_SHA256_LEN];
  char hex[2 * SGW_SHA256_LEN + 1];
  size_t i;

  for (i = 0; i < sizeof(digest_vecs) / sizeof(digest_vecs[0]); i++) {
    const struct digest_vec *v = &digest_vecs[i];

    test_case(v->name);
    CHECK_EQ_INT(sgw_sha1(v->msg, strlen(v->msg), d1), SGW_OK);
    hexify(d1, sizeof d1, hex);
    CHECK_EQ_STR(hex, v->sha1);
    CHECK_EQ_INT(sgw_sha256(v->msg, strlen(v->msg), d256), SGW_OK);
    hexify(d256, sizeof d256, hex);
    CHECK_EQ_STR(hex, v->sha256);
  }

  /* A NULL pointer with zero length is the empty message. */
  test_case("empty via NULL");
  CHECK_EQ_INT(sgw_sha256(NULL, 0, d256), SGW_OK);
  hexify(d256, sizeof d256, hex);
  CHECK_EQ_STR(
      hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_digest_million_a(void) {
  size_t n = 1000000;
  char *msg = malloc(n);
  unsigned char d1[SGW_SHA1_LEN], d256[SGW_SHA256_LEN];
  char hex[2 * SGW_SHA256_LEN + 1];

  test_case("one million 'a'");
  if (!CHECK(msg != NULL))
    return;
  memset(msg, 'a', n);
  CHECK_EQ_INT(sgw_sha1(msg, n, d1), SGW_OK);
  hexify(d1, sizeof d1, hex);
  CHECK_EQ_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK_EQ_INT(sgw_sha256(msg, n, d256), SGW_OK);
  hexify(d256, sizeof d256, hex);
  CHECK_EQ_STR(
      hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(msg);
}

/* ---- HMAC: RFC 2202 (SHA-1) and RFC 4231 (SHA-256) ---------------------- */

/* Keys and data are given as (byte, count) runs or literal strings, the
 * way the RFCs describe them. */
struct hmac_vec {
  const char *name;
  unsigned char key_byte; /* 0: use key_str */
  size_t key_len;
  const char *key_str;
  unsigned char data_byte; /* 0: use data_str */
  size_t data_len;
  const char *data_str;
  const char *mac;   /* hex */
  size_t mac_bytes;  /* compared prefix: RFC 4231 case 5 is truncated */
};

/* Case 4 of both RFCs uses the key 0x01 0x02 ... 0x19. */
#define KEY_SEQ25 1, 25, NULL

static const struct hmac_vec hmac_sha1_vecs[] = {
    {"RFC 2202 HMAC-SHA1 case 1", 0x0b, 20, NULL, 0, 0, "Hi There",
     "b617318655057264e28bc0b6fb378c8ef146be00", 20},
    {"RFC 2202 HMAC-SHA1 case 2", 0, 0, "Jefe", 0, 0,
     "what do ya want for nothing?",
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 20},
    {"RFC 2202 HMAC-SHA1 case 3", 0xaa, 20, NULL, 0xdd, 50, NULL,
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3", 20},
    {"RFC 2202 HMAC-SHA1 case 4", KEY_SEQ25, 0xcd, 50, NULL,
     "4c9007f4026250c6bc8414f9bf50c86c2d7235da", 20},
    {"RFC 2202 HMAC-SHA1 case 5", 0x0c, 20, NULL, 0, 0,
     "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", 20},
    {"RFC 2202 HMAC-SHA1 case 6", 0xaa, 80, NULL, 0, 0,
     "Test Using Larger Than Block-Size Key - Hash Key First",
     "aa4ae5e15272d00e95705637ce8a3b55ed402112", 20},
    {"RFC 2202 HMAC-SHA1 case 7", 0xaa, 80, NULL, 0, 0,
     "Test Using Larger Than Block-Size Key and Larger Than One Block-Size "
     "Data",
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91", 20},
};

static const struct hmac_vec hmac_sha256_vecs[] = {
    {"RFC 4231 HMAC-SHA256 case 1", 0x0b, 20, NULL, 0, 0, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32},
    {"RFC 4231 HMAC-SHA256 case 2", 0, 0, "Jefe", 0, 0,
     "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32},
    {"RFC 4231 HMAC-SHA256 case 3", 0xaa, 20, NULL, 0xdd, 50, NULL,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32},
    {"RFC 4231 HMAC-SHA256 case 4", KEY_SEQ25, 0xcd, 50, NULL,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32},
    {"RFC 4231 HMAC-SHA256 case 5 (128-bit)", 0x0c, 20, NULL, 0, 0,
     "Test With Truncation", "a3b6167473100ee06e0c796c2955552b", 16},
    {"RFC 4231 HMAC-SHA256 case 6", 0xaa, 131, NULL, 0, 0,
     "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32},
    {"RFC 4231 HMAC-SHA256 case 7", 0xaa, 131, NULL, 0, 0,
     "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the "
     "HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32},
};

/* Fills buf from a (byte, count) run or a string; returns the length. The
 * byte 0x01 with count 25 stands for the sequence 0x01..0x19. */
static size_t hmac_input(unsigned char byte, size_t n, const char *str,
                         unsigned char *buf) {
  size_t i;

  if (str != NULL) {
    memcpy(buf, str, strlen(str));
    return strlen(str);
  }
  for (i = 0; i < n; i++)
    buf[i] = byte == 1 ? (unsigned char)(i + 1) : byte;
  return n;
}

typedef int (*hmac_fn)(const void *, size_t, const void *, size_t,
                       unsigned char *);

static void run_hmac(const struct hmac_vec *vecs, size_t nvecs, hmac_fn fn,
                     size_t full_len) {
  unsigned char key[160], data[200], mac[SGW_SHA256_LEN];
  char hex[2 * SGW_SHA256_LEN + 1];
  size_t i, klen, dlen;

  for (i = 0; i < nvecs; i++) {
    const struct hmac_vec *v = &vecs[i];

    test_case(v->name);
    klen = hmac_input(v->key_byte, v->key_len, v->key_str, key);
    dlen = hmac_input(v->data_byte, v->data_len, v->data_str, data);
    CHECK_EQ_INT(fn(key, klen, data, dlen, mac), SGW_OK);
    CHECK(v->mac_bytes <= full_len);
    hexify(mac, v->mac_bytes, hex);
    CHECK_EQ_STR(hex, v->mac);
  }
}

static void test_hmac(void) {
  size_t n1 = sizeof(hmac_sha1_vecs) / sizeof(hmac_sha1_vecs[0]);

  run_hmac(hmac_sha1_vecs, n1, sgw_hmac_sha1, SGW_SHA1_LEN);
  /* Again: nothing of the previous key may carry over to the next call. */
  run_hmac(hmac_sha1_vecs, n1, sgw_hmac_sha1, SGW_SHA1_LEN);
  run_hmac(hmac_sha256_vecs,
           sizeof(hmac_sha256_vecs) / sizeof(hmac_sha256_vecs[0]),
           sgw_hmac_sha256, SGW_SHA256_LEN);
}

/* ---- hex ---------------------------------------------------------------- */

static void test_hex(void) {
  static const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80,
                                        0xab, 0xcd, 0xef, 0xff};
  unsigned char out[16];
  char text[2 * sizeof bytes + 1];
  size_t n = 99;

  test_case("hex encode is lower-case");
  sgw_hex_encode(bytes, sizeof bytes, text);
  CHECK_EQ_STR(text, "00017f80abcdefff");

  test_case("hex encode of nothing");
  sgw_hex_encode(bytes, 0, text);
  CHECK_EQ_STR(text, "");

  test_case("hex round trip");
  CHECK_EQ_INT(sgw_hex_decode(text, 0, out, &n), SGW_OK);
  CHECK_EQ_INT(n, 0);
  sgw_hex_encode(bytes, sizeof bytes, text);
  CHECK_EQ_INT(sgw_hex_decode(text, strlen(text), out, &n), SGW_OK);
  CHECK_MEM(out, n, bytes, sizeof bytes);

  test_case("hex decode accepts upper and mixed case");
  CHECK_EQ_INT(sgw_hex_decode("00017F80ABcdEfFF", 16, out, &n), SGW_OK);
  CHECK_MEM(out, n, bytes, sizeof bytes);

  test_case("hex decode rejects odd length");
  CHECK_EQ_INT(sgw_hex_decode("abc", 3, out, &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_hex_decode("a", 1, out, &n), SGW_EINVAL);

  test_case("hex decode rejects non-hex characters");
  CHECK_EQ_INT(sgw_hex_decode("0g", 2, out, &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_hex_decode("g0", 2, out, &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_hex_decode("0x12", 4, out, &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_hex_decode("12 4", 4, out, &n), SGW_EINVAL);
  CHECK_EQ_INT(sgw_hex_decode("1\0", 2, out, &n), SGW_EINVAL);
}

/* ---- base64: RFC 4648 section 10, plus the alphabet-specific symbols ---- */

struct b64_vec {
  const char *bytes;
  size_t len;
  const char *std; /* section 4, padded */
  const char *url; /* section 5, unpadded */
};

static const struct b64_vec b64_vecs[] = {
    {"", 0, "", ""},
    {"f", 1, "Zg==", "Zg"},
    {"fo", 2, "Zm8=", "Zm8"},
    {"foo", 3, "Zm9v", "Zm9v"},
    {"foob", 4, "Zm9vYg==", "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy", "Zm9vYmFy"},
    /* 0xfb 0xff = 111110 111111 1111(00): values 62, 63, 60, which are
     * '+', '/', '8' in section 4's table and '-', '_', '8' in section 5's. */
    {"\xfb\xff", 2, "+/8=", "-_8"},
    /* 0xff 0xff 0xff: four times value 63. */
    {"\xff\xff\xff", 3, "////", "____"},
    /* 0xf8 = 111110 00: value 62 then 0. */
    {"\xf8", 1, "+A==", "-A"},
};

static void test_base64_vectors(void) {
  char text[64], name[80];
  unsigned char out[64];
  size_t i, n;

  for (i = 0; i < sizeof(b64_vecs) / sizeof(b64_vecs[0]); i++) {
    const struct b64_vec *v = &b64_vecs[i];

    snprintf(name, sizeof name, "base64 vector %zu (\"%s\")", i, v->std);
    test_case(name);
    n = 99;
    sgw_base64_encode((const unsigned char *)v->bytes, v->len, text, &n, 0);
    CHECK_EQ_STR(text, v->std);
    CHECK_EQ_INT(n, strlen(v->std));
    CHECK(n <= SGW_BASE64_LEN(v->len));
    CHECK_EQ_INT(sgw_base64_decode(v->std, strlen(v->std), out, &n, 0),
                 SGW_OK);
    CHECK_MEM(out, n, v->bytes, v->len);

    snprintf(name, sizeof name, "base64url vector %zu (\"%s\")", i, v->url);
    test_case(name);
    n = 99;
    sgw_base64_encode((const unsigned char *)v->bytes, v->len, text, &n, 1);
    CHECK_EQ_STR(text, v->url);
    CHECK_EQ_INT(n, strlen(v->url));
    CHECK_EQ_INT(sgw_base64_decode(v->url, strlen(v->url), out, &n, 1),
                 SGW_OK);
    CHECK_MEM(out, n, v->bytes, v->len);

    /* Padding is optional for the URL-safe alphabet: the padded form of
     * the URL text must decode too. */
    snprintf(name, sizeof name, "base64url padded vector %zu", i);
    test_case(name);
    snprintf(text, sizeof text, "%s", v->url);
    while (strlen(text) % 4 != 0)
      strcat(text, "=");
    CHECK_EQ_INT(sgw_base64_decode(text, strlen(text), out, &n, 1), SGW_OK);
    CHECK_MEM(out, n, v->bytes, v->len);
  }
}

static void test_base64_rejects(void) {
  /* Each of these must fail in the given mode. */
  static const struct {
    const char *why;
    const char *text;
    int url;
  } bad[] = {
      {"bad character", "Zm9v!A==", 0},
      {"bad character", "Zm9v!A", 1},
      {"whitespace", "Zm9v YmFy", 0},
      {"newline", "Zm9v\nYmFy", 0},
      {"missing padding in standard mode", "Zg", 0},
      {"missing padding in standard mode", "Zm8", 0},
      {"too little padding", "Zg=", 0},
      {"too little padding (url)", "Zg=", 1},
      {"too much padding", "Zm8==", 0},
      {"three '='", "Z===", 0},
      {"only padding", "====", 0},
      {"only padding (url)", "==", 1},
      {"single '='", "=", 0},
      {"'=' in the middle", "Zg==Zm8=", 0},
      {"'=' in the middle (url)", "Zg==Zm8", 1},
      {"'=' in the middle of a quantum", "Z=g=", 0},
      {"impossible length 1", "Z", 0},
      {"impossible length 1 (url)", "Z", 1},
      {"impossible length 5", "Zm9vY", 0},
      {"impossible length 5 (url)", "Zm9vY", 1},
      {"impossible length 5 padded (url)", "Zm9vY===", 1},
      {"url symbol '-' in standard mode", "-_8=", 0},
      {"url symbol '_' in standard mode", "__8=", 0},
      {"standard symbol '+' in url mode", "+/8", 1},
      {"standard symbol '/' in url mode", "//8", 1},
      /* "Zh==" carries non-zero bits after the byte; "Zg==" is the only
       * canonical text for "f". Same for "Zm9=" vs "Zm8=". */
      {"non-zero trailing bits (1 byte)", "Zh==", 0},
      {"non-zero trailing bits (2 bytes)", "Zm9=", 0},
      {"non-zero trailing bits (url)", "Zh", 1},
  };
  unsigned char out[64];
  char name[96];
  size_t i, n;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t len = strlen(bad[i].text);

    snprintf(name, sizeof name, "base64 rejects: %s", bad[i].why);
    test_case(name);
    CHECK_EQ_INT(sgw_base64_decode(bad[i].text, len, out, &n, bad[i].url),
                 SGW_EINVAL);
  }

  /* The length, not a NUL, ends the text: a NUL inside it is a stranger. */
  test_case("base64 rejects: embedded NUL");
  CHECK_EQ_INT(sgw_base64_decode("Zm\0v", 4, out, &n, 0), SGW_EINVAL);
}

/* Every byte value survives an encode/decode round trip in both modes, at
 * every length modulo 3. */
static void test_base64_round_trip(void) {
  unsigned char in[256], out[256 + 3];
  char text[SGW_BASE64_LEN(256) + 1];
  size_t i, len, tlen, n;
  int url;

  for (i = 0; i < sizeof in; i++)
    in[i] = (unsigned char)(255 - i);
  for (url = 0; url <= 1; url++) {
    for (len = 253; len <= 256; len++) {
      test_case(url ? "base64url round trip" : "base64 round trip");
      sgw_base64_encode(in, len, text, &tlen, url);
      CHECK_EQ_INT(tlen, strlen(text));
      CHECK_EQ_INT(sgw_base64_decode(text, tlen, out, &n, url), SGW_OK);
      CHECK_MEM(out, n, in, len);
    }
  }
}

/* ---- randomness and constant-time compare ------------------------------- */

static void test_random_and_equal(void) {
  unsigned char a[32], b[32];

  test_case("random bytes differ between calls");
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK_EQ_INT(sgw_random_bytes(a, sizeof a), SGW_OK);
  CHECK_EQ_INT(sgw_random_bytes(b, sizeof b), SGW_OK);
  /* 2^-256 chance of a false failure. */
  CHECK(memcmp(a, b, sizeof a) != 0);
  CHECK_EQ_INT(sgw_random_bytes(a, 0), SGW_OK);

  test_case("sgw_equal");
  CHECK_EQ_INT(sgw_equal("abcdef", "abcdef", 6), 1);
  CHECK_EQ_INT(sgw_equal("abcdef", "abcdeg", 6), 0);
  CHECK_EQ_INT(sgw_equal("xbcdef", "abcdef", 6), 0);
  CHECK_EQ_INT(sgw_equal("abc", "xyz", 0), 1);
}

/* ---- MD5 in pieces: the RFC 1321 test suite (appendix A.5) ------------- */

static const struct {
  const char *msg, *md5;
} md5_vecs[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890"
     "1234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static void test_md5(void) {
  unsigned char d[SGW_MD5_LEN];
  char hex[2 * SGW_MD5_LEN + 1];

  for (size_t i = 0; i < sizeof(md5_vecs) / sizeof(md5_vecs[0]); i++) {
    size_t n = strlen(md5_vecs[i].msg);
    test_case(md5_vecs[i].msg);
    /* Fed whole, then in every split into two pieces. */
    for (size_t cut = 0; cut <= n; cut++) {
      sgw_md5_t m;
      CHECK_EQ_INT(sgw_md5_init(&m), SGW_OK);
      CHECK_EQ_INT(sgw_md5_update(&m, md5_vecs[i].msg, cut), SGW_OK);
      CHECK_EQ_INT(sgw_md5_update(&m, md5_vecs[i].msg + cut, n - cut),
                   SGW_OK);
      CHECK_EQ_INT(sgw_md5_final(&m, d), SGW_OK);
      sgw_md5_free(&m);
      hexify(d, sizeof d, hex);
      CHECK_EQ_STR(hex, md5_vecs[i].md5);
    }
  }
  test_case("md5 free twice, and of a failed init");
  {
    sgw_md5_t m = {0};
    sgw_md5_free(&m);
    sgw_md5_free(&m);
    CHECK_EQ_INT(sgw_md5_update(&m, "x", 1), SGW_EINVAL);
  }
}

int main(void) {
  test_digests();
  test_md5();
  test_digest_million_a();
  test_hmac();
  test_hex();
  test_base64_vectors();
  test_base64_rejects();
  test_base64_round_trip();
  test_random_and_equal();
  return test_report();
}
