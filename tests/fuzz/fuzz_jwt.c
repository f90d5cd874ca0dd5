/* libFuzzer target: the JWT token parser, claims checks and key set
 * parsers. Nothing may crash or leak; a refusal always has a reason and a
 * message, a success always has header and claims, and no message ever
 * holds the secret. The first input byte picks the mode:
 *   0  the rest is a token, verified as it is
 *   1  the rest is "HEADER-JSON\0PAYLOAD-JSON": the target base64url-
 *      encodes both and signs them HS256 with the test secret, so the
 *      payload and claims checks behind the signature are reached too
 *   2  the rest is a JWK Set
 *   3  the rest is PEM text
 * Bits 2..7 of that byte vary the options (leeway, iss, aud, algs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "signgw/crypto.h"
#include "signgw/error.h"
#include "signgw/jwt.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

static const char SECRET[] = "fuzz\x01Jwt\x02Secret\x03NeverLeaves";
static sgw_jwt_keyset_t *keys;

/* A secret plus fresh Ed25519 and P-256 public keys, as PEM. */
static void add_generated(const char *type, const char *arg) {
  EVP_PKEY *k = arg ? EVP_PKEY_Q_keygen(NULL, NULL, type, arg)
                    : EVP_PKEY_Q_keygen(NULL, NULL, type);
  BIO *b = BIO_new(BIO_s_mem());
  char *pem, err[128];
  long n;

  CHECK(k != NULL && b != NULL && PEM_write_bio_PUBKEY(b, k));
  n = BIO_get_mem_data(b, &pem);
  CHECK(sgw_jwt_keyset_add_pem(keys, pem, (size_t)n, err, sizeof(err)) == 0);
  BIO_free(b);
  EVP_PKEY_free(k);
}

static void init(void) {
  if (keys != NULL)
    return;
  CHECK(sgw_jwt_keyset_new(&keys) == 0);
  CHECK(sgw_jwt_keyset_add_secret(keys, SECRET, sizeof(SECRET) - 1) == 0);
  add_generated("ED25519", NULL);
  add_generated("EC", "P-256");
}

static void check_verify(const sgw_jwt_keyset_t *ks, const char *tok,
                         size_t len, uint8_t mode) {
  static const char *const aud[] = {"signgw", "other"};
  sgw_jwt_opts_t o = {0};
  sgw_jwt_result_t res;
  int rc;

  o.algs = (mode & 0x80) ? SGW_JWT_ALG_BIT(SGW_JWT_HS256) : ~0u;
  o.now = 1700000000;
  o.leeway = (mode >> 2) & 3 ? 30 : 0;
  o.iss = (mode & 0x10) ? "https://issuer.example" : NULL;
  o.aud = aud;
  o.naud = (mode & 0x20) ? 2 : 0;
  o.require_exp = (mode & 0x40) != 0;
  rc = sgw_jwt_verify(ks, tok, len, &o, &res);
  if (rc == 0) {
    CHECK(res.reason == SGW_JWT_OK && res.header && res.claims);
  } else {
    CHECK(rc == SGW_EINVAL || rc == SGW_ENOENT);
    CHECK(res.reason != SGW_JWT_OK && res.reason != SGW_JWT_INTERNAL);
    CHECK(res.header == NULL && res.claims == NULL);
    CHECK((rc == SGW_ENOENT) == (res.reason == SGW_JWT_UNKNOWN_KID));
  }
  /* The secret holds control bytes: a message can only hold it by a leak. */
  CHECK(res.msg[0] != '\0' && strstr(res.msg, SECRET) == NULL);
  sgw_jwt_result_free(&res);
}

/* HEADER\0PAYLOAD -> b64(HEADER).b64(PAYLOAD).b64(HS256 signature) */
static void signed_token(const uint8_t *data, size_t size, uint8_t mode) {
  const uint8_t *nul = memchr(data, '\0', size);
  size_t hl = nul ? (size_t)(nul - data) : size;
  size_t pl = nul ? size - hl - 1 : 0, n, t = 0;
  unsigned char mac[32];
  unsigned int maclen = 0;
  char *tok = malloc(SGW_BASE64_LEN(hl) + SGW_BASE64_LEN(pl) + 64);

  CHECK(tok != NULL);
  sgw_base64_encode(data, hl, tok, &n, 1);
  t = n;
  tok[t++] = '.';
  sgw_base64_encode(nul ? nul + 1 : data, pl, tok + t, &n, 1);
  t += n;
  CHECK(HMAC(EVP_sha256(), SECRET, sizeof(SECRET) - 1, (unsigned char *)tok,
             t, mac, &maclen) != NULL);
  tok[t++] = '.';
  sgw_base64_encode(mac, maclen, tok + t, &n, 1);
  t += n;
  check_verify(keys, tok, t, mode);
  free(tok);
}

static void key_text(const uint8_t *data, size_t size, int jwks) {
  sgw_jwt_keyset_t *ks = NULL;
  char err[256] = "";
  int rc;

  CHECK(sgw_jwt_keyset_new(&ks) == 0);
  rc = jwks ? sgw_jwt_keyset_add_jwks(ks, (const char *)data, size, err,
                                      sizeof(err))
            : sgw_jwt_keyset_add_pem(ks, (const char *)data, size, err,
                                     sizeof(err));
  if (rc == 0) {
    CHECK(sgw_jwt_keyset_count(ks) > 0);
    /* A token that names a kid exercises the selection in the new set. */
    static const char tok[] = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.AAAA";
    check_verify(ks, tok, sizeof(tok) - 1, 0);
  } else {
    CHECK(err[0] != '\0' && sgw_jwt_keyset_count(ks) == 0);
  }
  sgw_jwt_keyset_free(ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t mode;

  init();
  if (size < 1)
    return 0;
  mode = data[0];
  data++;
  size--;
  switch (mode & 3) {
  case 0:
    check_verify(keys, (const char *)data, size, mode);
    break;
  case 1:
    if (size <= 7000)
      signed_token(data, size, mode);
    break;
  case 2:
    key_text(data, size, 1);
    break;
  default:
    key_text(data, size, 0);
    break;
  }
  return 0;
}
