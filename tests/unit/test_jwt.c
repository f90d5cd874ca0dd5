/* The JWT core alone: the RFC 7515 A.1 HS256 example, the stable names,
 * strict parsing (before any key is used), key set atomicity and limits,
 * and HS256/384/512 with secrets of every length around the digests'
 * block sizes, signed by OpenSSL's own HMAC (EVP_Q_mac) as the oracle.
 * Signed tokens of every algorithm are checked against jose in
 * tests/oracle/jwt_live.test.js. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "signgw/crypto.h"
#include "signgw/error.h"
#include "signgw/jwt.h"
#include "test.h"

/* RFC 7515 appendix A.1: the JWK's "k" and the resulting token. */
static const char rfc_k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                            "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char rfc_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
#define RFC_EXP 1300819380

static sgw_jwt_keyset_t *rfc_keys(void) {
  unsigned char k[80];
  size_t n = 0;
  sgw_jwt_keyset_t *ks = NULL;

  if (sgw_base64_decode(rfc_k, strlen(rfc_k), k, &n, 1) < 0 ||
      sgw_jwt_keyset_new(&ks) < 0 || sgw_jwt_keyset_add_secret(ks, k, n) < 0)
    abort();
  return ks;
}

static sgw_jwt_opts_t opts_at(int64_t now) {
  sgw_jwt_opts_t o = {0};
  o.algs = SGW_JWT_ALG_BIT(SGW_JWT_HS256);
  o.now = now;
  return o;
}

static int verify(const sgw_jwt_keyset_t *ks, const char *tok,
                  const sgw_jwt_opts_t *o, sgw_jwt_reason_t *reason) {
  sgw_jwt_result_t res;
  int rc = sgw_jwt_verify(ks, tok, strlen(tok), o, &res);

  *reason = res.reason;
  if (rc == 0 && (res.claims == NULL || res.header == NULL))
    rc = -100;
  if (rc < 0 && (res.claims != NULL || res.header != NULL))
    rc = -101;
  sgw_jwt_result_free(&res);
  sgw_jwt_result_free(&res); /* twice is harmless */
  return rc;
}

/* header.payload.sig from literal JSON texts (the signature is junk: the
 * checks below all happen before, or fail at, the signature). */
static char *make_token(const char *header, const char *payload) {
  size_t hl = strlen(header), pl = strlen(payload), n;
  char *t = malloc(SGW_BASE64_LEN(hl) + SGW_BASE64_LEN(pl) + 64);

  sgw_base64_encode((const unsigned char *)header, hl, t, &n, 1);
  t[n++] = '.';
  sgw_base64_encode((const unsigned char *)payload, pl, t + n, &pl, 1);
  strcpy(t + n + pl, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  return t;
}

static void test_rfc_example(void) {
  sgw_jwt_keyset_t *ks = rfc_keys();
  sgw_jwt_opts_t o = opts_at(RFC_EXP - 10);
  sgw_jwt_result_t res;
  sgw_jwt_reason_t r;
  const cJSON *v;
  char *t;

  test_case("RFC 7515 A.1 verifies, with its claims");
  CHECK_EQ_INT(sgw_jwt_verify(ks, rfc_token, strlen(rfc_token), &o, &res), 0);
  CHECK_EQ_INT(res.alg, SGW_JWT_HS256);
  v = cJSON_GetObjectItemCaseSensitive(res.claims, "iss");
  CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "joe") == 0);
  v = cJSON_GetObjectItemCaseSensitive(res.claims,
                                       "http://example.com/is_root");
  CHECK(cJSON_IsTrue(v));
  v = cJSON_GetObjectItemCaseSensitive(res.header, "typ");
  CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "JWT") == 0);
  sgw_jwt_result_free(&res);

  test_case("RFC 7515 A.1: exp, leeway, iss, alg list");
  o = opts_at(RFC_EXP);
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), SGW_EINVAL);
  CHECK_EQ_STR(sgw_jwt_reason_name(r), "expired");
  o.leeway = 1;
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), 0);
  o = opts_at(RFC_EXP - 10);
  o.iss = "jo";
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_BAD_ISSUER);
  o.iss = "joe";
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), 0);
  {
    const char *aud[] = {"joe"};
    o.aud = aud;
    o.naud = 1;
    CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), SGW_EINVAL);
    CHECK_EQ_INT(r, SGW_JWT_BAD_AUDIENCE);
    o.naud = 0;
  }
  o.algs = SGW_JWT_ALG_BIT(SGW_JWT_HS384) | SGW_JWT_ALG_BIT(SGW_JWT_RS256);
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_ALG_NOT_ALLOWED);
  o.algs = 0;
  CHECK_EQ_INT(verify(ks, rfc_token, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_ALG_NOT_ALLOWED);

  test_case("RFC 7515 A.1: one changed byte anywhere is refused");
  o = opts_at(RFC_EXP - 10);
  t = strdup(rfc_token);
  for (size_t i = 0; t[i] != '\0'; i++) {
    char c = t[i];
    if (c == '.')
      continue;
    t[i] = c == 'A' ? 'B' : 'A';
    if (!CHECK(verify(ks, t, &o, &r) < 0 && r != SGW_JWT_OK))
      printf("    position %zu\n", i);
    t[i] = c;
  }
  free(t);
  sgw_jwt_keyset_free(ks);
}

static void test_names(void) {
  static const char *const reasons[] = {
      "ok",          "malformed",     "too_large",     "unsupported",
      "alg_not_allowed", "unknown_kid", "key_mismatch", "bad_signature",
      "expired",     "not_yet_valid", "iat_in_future", "missing_exp",
      "bad_issuer",  "bad_audience",  "internal"};
  static const char *const algs[] = {"HS256", "HS384", "HS512", "RS256",
                                     "RS384", "RS512", "PS256", "ES256",
                                     "ES384", "EdDSA"};

  test_case("reason names are stable");
  for (int i = 0; i < SGW_JWT_REASON_COUNT; i++)
    CHECK_EQ_STR(sgw_jwt_reason_name((sgw_jwt_reason_t)i), reasons[i]);
  CHECK_EQ_STR(sgw_jwt_reason_name((sgw_jwt_reason_t)99), "internal");

  test_case("alg names round trip; none and look-alikes are refused");
  for (int i = 0; i < SGW_JWT_ALG_COUNT; i++) {
    CHECK_EQ_STR(sgw_jwt_alg_name((sgw_jwt_alg_t)i), algs[i]);
    CHECK_EQ_INT(sgw_jwt_alg_parse(algs[i], strlen(algs[i])), i);
  }
  CHECK(sgw_jwt_alg_name(SGW_JWT_ALG_COUNT) == NULL);
  CHECK_EQ_INT(sgw_jwt_alg_parse("none", 4), SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_alg_parse("hs256", 5), SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_alg_parse("HS256\0", 6), SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_alg_parse("HS25", 4), SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_alg_parse("ES512", 5), SGW_EINVAL);
}

/* A token built from JSON texts, and the reason it gets. */
static sgw_jwt_reason_t reason_of(const sgw_jwt_keyset_t *ks,
                                  const char *header, const char *payload) {
  sgw_jwt_opts_t o = opts_at(RFC_EXP - 10);
  sgw_jwt_reason_t r;
  char *t = make_token(header, payload);

  verify(ks, t, &o, &r);
  free(t);
  return r;
}

static void test_strict(void) {
  sgw_jwt_keyset_t *ks = rfc_keys();
  sgw_jwt_opts_t o = opts_at(RFC_EXP - 10);
  sgw_jwt_reason_t r;
  char deep[200], *t;
  size_t len = strlen(rfc_token);

  test_case("size and shape");
  t = malloc(SGW_JWT_MAX_TOKEN + 2);
  memset(t, 'a', SGW_JWT_MAX_TOKEN + 1);
  t[SGW_JWT_MAX_TOKEN + 1] = '\0';
  CHECK_EQ_INT(verify(ks, t, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_TOO_LARGE);
  t[SGW_JWT_MAX_TOKEN] = '\0';
  CHECK_EQ_INT(verify(ks, t, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_MALFORMED);
  free(t);
  {
    /* A NUL inside the token: the length counts, not the C string. */
    sgw_jwt_result_t res;
    char buf[sizeof(rfc_token) + 1];
    memcpy(buf, rfc_token, len);
    buf[len] = '\0';
    buf[len - 1] = '\0';
    CHECK_EQ_INT(sgw_jwt_verify(ks, buf, len, &o, &res), SGW_EINVAL);
    CHECK_EQ_INT(res.reason, SGW_JWT_MALFORMED);
    sgw_jwt_result_free(&res);
  }

  test_case("header checks come before the key");
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\"}", "{}"),
               SGW_JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{}"),
               SGW_JWT_MALFORMED);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"typ\":1}", "{}"),
               SGW_JWT_MALFORMED);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"crit\":[]}", "{}"),
               SGW_JWT_UNSUPPORTED);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"none\"}", "{}"),
               SGW_JWT_ALG_NOT_ALLOWED);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"x\":\"\\u0000\"}", "{}"),
               SGW_JWT_MALFORMED);
  /* An escaped backslash before "u0000" is not a NUL escape. */
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"x\":\"\\\\u0000\"}", "{}"),
               SGW_JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"x\":\"\xc3\xa9\"}", "{}"),
               SGW_JWT_BAD_SIGNATURE);
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}", "{}"),
               SGW_JWT_MALFORMED); /* overlong '/' */
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\",\"x\":\"\xed\xa0\x80\"}",
                         "{}"),
               SGW_JWT_MALFORMED); /* a surrogate */
  CHECK_EQ_INT(reason_of(ks, "{\"alg\":\"HS256\"}{}", "{}"),
               SGW_JWT_MALFORMED);
  CHECK_EQ_INT(reason_of(ks, "null", "{}"), SGW_JWT_MALFORMED);

  test_case("nesting: 32 levels pass the parser, 33 do not");
  /* {"alg":"HS256","x": + n '[' + n ']' + } is nested n + 1 deep. */
  for (int n = 31; n <= 32; n++) {
    int k = snprintf(deep, sizeof(deep), "{\"alg\":\"HS256\",\"x\":");
    for (int i = 0; i < n; i++)
      deep[k++] = '[';
    for (int i = 0; i < n; i++)
      deep[k++] = ']';
    strcpy(deep + k, "}");
    CHECK_EQ_INT(reason_of(ks, deep, "{}"), n == 31 ? SGW_JWT_BAD_SIGNATURE
                                                    : SGW_JWT_MALFORMED);
  }

  test_case("a key set of the wrong type: key_mismatch, never HMAC");
  o.algs = SGW_JWT_ALG_BIT(SGW_JWT_RS256) | SGW_JWT_ALG_BIT(SGW_JWT_EDDSA);
  t = make_token("{\"alg\":\"RS256\"}", "{}");
  CHECK_EQ_INT(verify(ks, t, &o, &r), SGW_EINVAL);
  CHECK_EQ_INT(r, SGW_JWT_KEY_MISMATCH);
  free(t);
  t = make_token("{\"alg\":\"EdDSA\",\"kid\":\"k\"}", "{}");
  /* No key has the kid and no kid-less key fits: the kid is unknown. */
  CHECK_EQ_INT(verify(ks, t, &o, &r), SGW_ENOENT);
  CHECK_EQ_INT(r, SGW_JWT_UNKNOWN_KID);
  free(t);
  sgw_jwt_keyset_free(ks);
}

static void test_keysets(void) {
  static const char pem_pub[] =
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  static const char pem_priv[] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  sgw_jwt_keyset_t *ks = NULL;
  char err[160], jwks[8192];
  int k;

  test_case("secrets: empty refused");
  CHECK_EQ_INT(sgw_jwt_keyset_new(&ks), 0);
  CHECK_EQ_INT(sgw_jwt_keyset_add_secret(ks, "", 0), SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_keyset_count(ks), 0);

  test_case("PEM: nothing, garbage, a private key; the set is unchanged");
  CHECK_EQ_INT(sgw_jwt_keyset_add_secret(ks, "s", 1), 0);
  err[0] = '\0';
  CHECK_EQ_INT(sgw_jwt_keyset_add_pem(ks, "", 0, err, sizeof(err)),
               SGW_EINVAL);
  CHECK(err[0] != '\0');
  CHECK_EQ_INT(sgw_jwt_keyset_add_pem(ks, pem_pub, strlen(pem_pub), err,
                                      sizeof(err)),
               SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_keyset_add_pem(ks, pem_priv, strlen(pem_priv), err,
                                      sizeof(err)),
               SGW_EINVAL);
  CHECK(strstr(err, "private") != NULL);
  CHECK_EQ_INT(sgw_jwt_keyset_count(ks), 1);

  test_case("JWKS: shape, oct, limits; the set is unchanged");
  CHECK_EQ_INT(sgw_jwt_keyset_add_jwks(ks, "[]", 2, err, sizeof(err)),
               SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_keyset_add_jwks(ks, "{\"keys\":{}}", 11, err,
                                       sizeof(err)),
               SGW_EINVAL);
  k = snprintf(jwks, sizeof(jwks),
               "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}");
  CHECK_EQ_INT(sgw_jwt_keyset_add_jwks(ks, jwks, (size_t)k, err, sizeof(err)),
               SGW_EINVAL);
  CHECK(strstr(err, "oct") != NULL);
  /* Unsupported keys are kept by kid, but a set of only those is useless. */
  k = snprintf(jwks, sizeof(jwks),
               "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X448\",\"kid\":\"a\","
               "\"x\":\"AA\"}]}");
  CHECK_EQ_INT(sgw_jwt_keyset_add_jwks(ks, jwks, (size_t)k, err, sizeof(err)),
               SGW_EINVAL);
  /* 65 entries (of a kid-named unsupported kind) exceed the limit. */
  k = snprintf(jwks, sizeof(jwks), "{\"keys\":[");
  for (int i = 0; i <= SGW_JWT_MAX_KEYS; i++)
    k += snprintf(jwks + k, sizeof(jwks) - (size_t)k,
                  "%s{\"kty\":\"X\",\"kid\":\"k%d\"}", i ? "," : "", i);
  k += snprintf(jwks + k, sizeof(jwks) - (size_t)k, "]}");
  CHECK_EQ_INT(sgw_jwt_keyset_add_jwks(ks, jwks, (size_t)k, err, sizeof(err)),
               SGW_EINVAL);
  CHECK_EQ_INT(sgw_jwt_keyset_count(ks), 1);
  sgw_jwt_keyset_free(ks);
  sgw_jwt_keyset_free(NULL);
}

/* header.payload signed with OpenSSL's HMAC under `key`. */
static void hs_token(const char *alg, const char *md, const unsigned char *key,
                     size_t klen, char *out, size_t cap) {
  char header[64], h64[128], p64[128], s64[128];
  const char payload[] = "{\"sub\":\"u\"}";
  unsigned char mac[64];
  size_t n = 0, l1, l2, l3;

  snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", alg);
  sgw_base64_encode((const unsigned char *)header, strlen(header), h64, &l1, 1);
  sgw_base64_encode((const unsigned char *)payload, strlen(payload), p64, &l2,
                    1);
  snprintf(out, cap, "%s.%s", h64, p64);
  if (EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, klen,
                (const unsigned char *)out, strlen(out), mac, sizeof(mac),
                &n) == NULL)
    abort();
  sgw_base64_encode(mac, n, s64, &l3, 1);
  snprintf(out + l1 + 1 + l2, cap - l1 - 1 - l2, ".%s", s64);
}

static void test_hmac_key_lengths(void) {
  static const size_t lens[] = {1, 31, 32, 63, 64, 65, 127, 128, 129, 300};
  static const struct { const char *alg, *md; sgw_jwt_alg_t a; } hs[] = {
      {"HS256", "SHA256", SGW_JWT_HS256},
      {"HS384", "SHA384", SGW_JWT_HS384},
      {"HS512", "SHA512", SGW_JWT_HS512}};
  unsigned char key[301]; /* the other key starts one byte in */
  char token[512];

  test_case("HS256/384/512 against OpenSSL's HMAC, every key length");
  for (size_t i = 0; i < sizeof(key); i++)
    key[i] = (unsigned char)(i * 7 + 1);
  for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
    sgw_jwt_keyset_t *ks = NULL, *other = NULL;
    if (sgw_jwt_keyset_new(&ks) < 0 || sgw_jwt_keyset_new(&other) < 0 ||
        sgw_jwt_keyset_add_secret(ks, key, lens[l]) < 0 ||
        sgw_jwt_keyset_add_secret(other, key + 1, lens[l]) < 0)
      abort();
    for (int a = 0; a < 3; a++) {
      sgw_jwt_opts_t o = {0};
      sgw_jwt_result_t res;
      o.algs = SGW_JWT_ALG_BIT(hs[a].a);
      o.now = 1000;
      hs_token(hs[a].alg, hs[a].md, key, lens[l], token, sizeof(token));
      if (!CHECK_EQ_INT(sgw_jwt_verify(ks, token, strlen(token), &o, &res), 0))
        printf("  %s, a %zu-byte key: %s\n", hs[a].alg, lens[l], res.msg);
      sgw_jwt_result_free(&res);
      CHECK_EQ_INT(sgw_jwt_verify(other, token, strlen(token), &o, &res),
                   SGW_EINVAL);
      CHECK_EQ_INT(res.reason, SGW_JWT_BAD_SIGNATURE);
      sgw_jwt_result_free(&res);
    }
    sgw_jwt_keyset_free(ks);
    sgw_jwt_keyset_free(other);
  }
}

int main(void) {
  test_rfc_example();
  test_hmac_key_lengths();
  test_names();
  test_strict();
  test_keysets();
  return test_report();
}
