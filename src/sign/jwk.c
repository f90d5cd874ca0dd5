/* JWK Sets (RFC 7517) into a JWT key set (see signgw/jwt.h).
 *
 * Public keys only: RSA (n, e), EC P-256/P-384 (x, y) and OKP Ed25519
 * (x). Keys of other types are kept by kid so that a token naming one is
 * told "key_mismatch" rather than "unknown_kid" (which would make the
 * caller fetch the set again). Private members ("d", ...) are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "sign/jwt_key.h"
#include "signgw/crypto.h"
#include "signgw/error.h"

/* An RSA modulus of 16384 bits is far beyond any issuer's. */
#define SGW__JWK_MAX_B64 2800
#define SGW__JWK_MAX_JSON (256 * 1024)

typedef struct jwk_bytes_s {
  unsigned char b[SGW__JWK_MAX_B64 / 4 * 3 + 3];
  size_t len;
} jwk_bytes_t;

static int jwk_fail(char *err, size_t errlen, size_t idx, const char *msg) {
  snprintf(err, errlen, "JWKS key %zu: %s", idx, msg);
  return SGW_EINVAL;
}

/* A member that must be strict base64url text (RFC 7518 6: no padding). */
static int jwk_b64(const cJSON *jwk, const char *name, jwk_bytes_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
  size_t len;

  if (!cJSON_IsString(v))
    return SGW_EINVAL;
  len = strlen(v->valuestring);
  if (len == 0 || len > SGW__JWK_MAX_B64 ||
      memchr(v->valuestring, '=', len) != NULL)
    return SGW_EINVAL;
  return sgw_base64_decode(v->valuestring, len, out->b, &out->len, 1);
}

/* An optional string member: 0 absent, 1 present, SGW_EINVAL wrong type. */
static int jwk_str(const cJSON *jwk, const char *name, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (!cJSON_IsString(v))
    return SGW_EINVAL;
  *out = v->valuestring;
  return 1;
}

static int jwk_fromdata(const char *type, OSSL_PARAM_BLD *bld,
                        EVP_PKEY **pkey) {
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  int ok = params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
           EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;

  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return ok ? SGW_OK : SGW_EINVAL;
}

static int jwk_rsa(const cJSON *jwk, EVP_PKEY **pkey) {
  jwk_bytes_t *n = malloc(sizeof(*n)), *e = malloc(sizeof(*e));
  BIGNUM *bn = NULL, *be = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  int rc = SGW_EINVAL;

  if (n == NULL || e == NULL) {
    rc = SGW_ENOMEM;
    goto out;
  }
  if (jwk_b64(jwk, "n", n) < 0 || jwk_b64(jwk, "e", e) < 0 || e->len > 8)
    goto out;
  bn = BN_bin2bn(n->b, (int)n->len, NULL);
  be = BN_bin2bn(e->b, (int)e->len, NULL);
  bld = OSSL_PARAM_BLD_new();
  if (bn == NULL || be == NULL || bld == NULL ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
    rc = SGW_ENOMEM;
    goto out;
  }
  rc = jwk_fromdata("RSA", bld, pkey);
out:
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn);
  BN_free(be);
  free(n);
  free(e);
  return rc;
}

/* x and y must each be exactly the curve's size (RFC 7518 6.2.1.2). */
static int jwk_ec(const cJSON *jwk, const char *group, size_t size,
                  EVP_PKEY **pkey) {
  jwk_bytes_t *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
  unsigned char point[1 + 2 * 48];
  OSSL_PARAM_BLD *bld = NULL;
  int rc = SGW_EINVAL;

  if (x == NULL || y == NULL) {
    rc = SGW_ENOMEM;
    goto out;
  }
  if (jwk_b64(jwk, "x", x) < 0 || jwk_b64(jwk, "y", y) < 0 ||
      x->len != size || y->len != size)
    goto out;
  point[0] = 0x04; /* uncompressed */
  memcpy(point + 1, x->b, size);
  memcpy(point + 1 + size, y->b, size);
  bld = OSSL_PARAM_BLD_new();
  if (bld == NULL ||
      !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                        1 + 2 * size)) {
    rc = SGW_ENOMEM;
    goto out;
  }
  rc = jwk_fromdata("EC", bld, pkey);
out:
  OSSL_PARAM_BLD_free(bld);
  free(x);
  free(y);
  return rc;
}

static int jwk_ed25519(const cJSON *jwk, EVP_PKEY **pkey) {
  jwk_bytes_t x;

  if (jwk_b64(jwk, "x", &x) < 0 || x.len != 32)
    return SGW_EINVAL;
  *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x.b, 32);
  return *pkey != NULL ? SGW_OK : SGW_EINVAL;
}

/* "use" other than "sig", or "key_ops" without "verify": not for us. */
static int jwk_usage(const cJSON *jwk, sgw__jwt_key_t *key) {
  const cJSON *ops = cJSON_GetObjectItemCaseSensitive(jwk, "key_ops"), *op;
  const char *use;
  int r = jwk_str(jwk, "use", &use), verify = 0;

  if (r < 0)
    return SGW_EINVAL;
  key->usable = r == 0 || strcmp(use, "sig") == 0;
  if (ops == NULL)
    return SGW_OK;
  if (!cJSON_IsArray(ops))
    return SGW_EINVAL;
  cJSON_ArrayForEach(op, ops) {
    if (!cJSON_IsString(op))
      return SGW_EINVAL;
    verify |= strcmp(op->valuestring, "verify") == 0;
  }
  if (!verify)
    key->usable = 0;
  return SGW_OK;
}

/* One JWK; *key filled (type NONE for an unsupported one). */
static int jwk_one(const cJSON *jwk, size_t idx, sgw__jwt_key_t *key,
                   char *err, size_t errlen) {
  const char *kty, *crv = NULL, *kid, *alg;
  sgw__jwk_type_t t;
  int rc;

  if (!cJSON_IsObject(jwk))
    return jwk_fail(err, errlen, idx, "not an object");
  if (jwk_str(jwk, "kty", &kty) != 1)
    return jwk_fail(err, errlen, idx, "no string kty");
  if (jwk_str(jwk, "kid", &kid) < 0 || jwk_str(jwk, "alg", &alg) < 0 ||
      jwk_str(jwk, "crv", &crv) < 0)
    return jwk_fail(err, errlen, idx, "kid, alg or crv is not a string");
  if (jwk_usage(jwk, key) < 0)
    return jwk_fail(err, errlen, idx, "use or key_ops has the wrong type");
  if (strcmp(kty, "oct") == 0)
    return jwk_fail(err, errlen, idx,
                    "symmetric (oct) keys are not accepted in a JWKS: a "
                    "published secret signs anyone's tokens");

  rc = SGW_OK;
  if (strcmp(kty, "RSA") == 0)
    rc = jwk_rsa(jwk, &key->pkey);
  else if (strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0)
    rc = jwk_ec(jwk, "P-256", 32, &key->pkey);
  else if (strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-384") == 0)
    rc = jwk_ec(jwk, "P-384", 48, &key->pkey);
  else if (strcmp(kty, "OKP") == 0 && crv != NULL &&
           strcmp(crv, "Ed25519") == 0)
    rc = jwk_ed25519(jwk, &key->pkey);
  ERR_clear_error();
  if (rc == SGW_ENOMEM)
    return rc;
  if (rc < 0)
    return jwk_fail(err, errlen, idx, "malformed key parameters");

  key->type = SGW__JWK_NONE;
  key->alg = SGW__JWK_ANY_ALG;
  if (key->pkey != NULL) {
    char why[96];
    if (sgw__jwt_pkey_type(key->pkey, &t, why, sizeof(why)) < 0)
      return jwk_fail(err, errlen, idx, why);
    key->type = t;
  }
  if (alg != NULL) {
    /* A JWK's alg binds the key to that one algorithm. */
    int a = sgw_jwt_alg_parse(alg, strlen(alg));
    key->alg = a >= 0 && sgw__jwt_alg_key_type((sgw_jwt_alg_t)a) == key->type
                   ? a
                   : SGW__JWK_NO_ALG;
  }
  if (kid != NULL) {
    key->kid_len = strlen(kid);
    key->kid = strdup(kid);
    if (key->kid == NULL)
      return SGW_ENOMEM;
  }
  return SGW_OK;
}

int sgw_jwt_keyset_add_jwks(sgw_jwt_keyset_t *ks, const char *json,
                            size_t len, char *err, size_t errlen) {
  size_t n0 = ks->n, idx = 0, usable = 0;
  cJSON *root = NULL;
  const cJSON *keys, *jwk;
  int rc;

  if (len > SGW__JWK_MAX_JSON) {
    snprintf(err, errlen, "JWKS larger than %d bytes", SGW__JWK_MAX_JSON);
    return SGW_EINVAL;
  }
  rc = sgw__jwt_json_object(json, len, &root);
  if (rc < 0) {
    snprintf(err, errlen, "JWKS is not a valid JSON object");
    return rc;
  }
  keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
  if (!cJSON_IsArray(keys)) {
    snprintf(err, errlen, "JWKS has no \"keys\" array");
    rc = SGW_EINVAL;
    goto out;
  }
  cJSON_ArrayForEach(jwk, keys) {
    sgw__jwt_key_t key = {0};
    rc = jwk_one(jwk, idx++, &key, err, errlen);
    if (rc < 0) {
      sgw__jwt_key_clear(&key);
      goto out;
    }
    /* Without a kid an unsupported key is of no use at all. */
    if (key.type == SGW__JWK_NONE && key.kid == NULL)
      continue;
    usable += key.type != SGW__JWK_NONE && key.usable &&
              key.alg != SGW__JWK_NO_ALG;
    rc = sgw__jwt_keyset_push(ks, &key);
    if (rc == SGW_ERANGE) {
      snprintf(err, errlen, "JWKS has more than %d keys", SGW_JWT_MAX_KEYS);
      rc = SGW_EINVAL;
    }
    if (rc < 0)
      goto out;
  }
  if (usable == 0) {
    snprintf(err, errlen, "JWKS has no key usable for verification");
    rc = SGW_EINVAL;
  }
out:
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  if (rc < 0)
    sgw__jwt_keyset_truncate(ks, n0);
  cJSON_Delete(root);
  return rc;
}
