/* JWT verification (see signgw/jwt.h).
 *
 * The order of the checks matters: the header is read first only to learn
 * alg and kid, the signature is checked next, and the claims are parsed
 * only from a payload whose signature holds. */
#include "signgw/jwt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "sign/crypto_tls.h"
#include "sign/jwt_key.h"
#include "signgw/crypto.h"
#include "signgw/error.h"

static const char *const jwt_alg_names[SGW_JWT_ALG_COUNT] = {
    "HS256", "HS384", "HS512", "RS256", "RS384",
    "RS512", "PS256", "ES256", "ES384", "EdDSA"};

static const char *const jwt_reason_names[SGW_JWT_REASON_COUNT] = {
    "ok",           "malformed",     "too_large",     "unsupported",
    "alg_not_allowed", "unknown_kid", "key_mismatch", "bad_signature",
    "expired",      "not_yet_valid", "iat_in_future", "missing_exp",
    "bad_issuer",   "bad_audience",  "internal"};

const char *sgw_jwt_alg_name(sgw_jwt_alg_t alg) {
  return (unsigned)alg < SGW_JWT_ALG_COUNT ? jwt_alg_names[alg] : NULL;
}

int sgw_jwt_alg_parse(const char *name, size_t len) {
  for (int i = 0; i < SGW_JWT_ALG_COUNT; i++)
    if (strlen(jwt_alg_names[i]) == len &&
        memcmp(jwt_alg_names[i], name, len) == 0)
      return i;
  return SGW_EINVAL;
}

const char *sgw_jwt_reason_name(sgw_jwt_reason_t reason) {
  return (unsigned)reason < SGW_JWT_REASON_COUNT ? jwt_reason_names[reason]
                                                 : "internal";
}

void sgw_jwt_result_free(sgw_jwt_result_t *res) {
  cJSON_Delete(res->header);
  cJSON_Delete(res->claims);
  res->header = res->claims = NULL;
}

/* Records a refusal; returns the matching SGW_E* code. */
static int jwt_refuse(sgw_jwt_result_t *res, sgw_jwt_reason_t reason,
                      const char *fmt, ...) {
  va_list ap;

  res->reason = reason;
  va_start(ap, fmt);
  vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
  va_end(ap);
  return reason == SGW_JWT_UNKNOWN_KID ? SGW_ENOENT : SGW_EINVAL;
}

static int jwt_internal(sgw_jwt_result_t *res, int rc) {
  res->reason = SGW_JWT_INTERNAL;
  snprintf(res->msg, sizeof(res->msg), "token check failed: %s",
           sgw_strerror(rc));
  return rc;
}

/* ---- encoding --------------------------------------------------------- */

/* Strict base64url as RFC 7515 wants it: URL alphabet, no padding, no
 * whitespace, canonical trailing bits. `out` holds len * 3 / 4 + 3. */
static int jwt_b64(const char *in, size_t len, unsigned char *out,
                   size_t *out_len) {
  if (len == 0 || memchr(in, '=', len) != NULL)
    return SGW_EINVAL;
  return sgw_base64_decode(in, len, out, out_len, 1);
}

/* The alphabet and length of unpadded base64url, without decoding. */
static int jwt_b64_alphabet(const char *in, size_t len) {
  if (len == 0 || len % 4 == 1)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

/* A header value safe to echo in a message: short, plain ASCII. */
static const char *jwt_printable(const cJSON *v) {
  const char *s = cJSON_IsString(v) ? v->valuestring : NULL;

  if (s == NULL || strlen(s) > 24)
    return "?";
  for (const char *p = s; *p; p++)
    if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
      return "?";
  return s;
}

/* ---- signatures --------------------------------------------------------- */

static const char *jwt_alg_md(sgw_jwt_alg_t alg) {
  switch (alg) {
  case SGW_JWT_HS256:
  case SGW_JWT_RS256:
  case SGW_JWT_PS256:
  case SGW_JWT_ES256:
    return "SHA256";
  case SGW_JWT_HS384:
  case SGW_JWT_RS384:
  case SGW_JWT_ES384:
    return "SHA384";
  case SGW_JWT_HS512:
  case SGW_JWT_RS512:
    return "SHA512";
  default:
    return NULL; /* EdDSA hashes internally */
  }
}

/* 1 valid, 0 invalid, < 0 internal failure. HMAC from the key's
 * prepared inner and outer states (jwt_key.h), on this thread's digest
 * context: no keying per token, and nothing of the key left behind (a
 * final hash overwrites the state it started from). */
static int jwt_verify_hmac(const sgw__jwt_key_t *k, sgw_jwt_alg_t alg,
                           const char *msg, size_t mlen,
                           const unsigned char *sig, size_t slen) {
  unsigned char inner[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
  int i = alg == SGW_JWT_HS256 ? 0 : alg == SGW_JWT_HS384 ? 1 : 2;
  size_t want = i == 0 ? 32 : i == 1 ? 48 : 64;
  EVP_MD_CTX *ctx = sgw__md_ctx();
  unsigned int n1 = 0, n2 = 0;
  int ok;

  if (slen != want)
    return 0;
  if (ctx == NULL || k->hs[i][0] == NULL || k->hs[i][1] == NULL ||
      !EVP_MD_CTX_copy_ex(ctx, k->hs[i][0]) ||
      !EVP_DigestUpdate(ctx, msg, mlen) ||
      !EVP_DigestFinal_ex(ctx, inner, &n1) ||
      !EVP_MD_CTX_copy_ex(ctx, k->hs[i][1]) ||
      !EVP_DigestUpdate(ctx, inner, n1) ||
      !EVP_DigestFinal_ex(ctx, mac, &n2) || n2 != want) {
    ERR_clear_error();
    OPENSSL_cleanse(mac, sizeof(mac));
    return SGW_ECRYPTO;
  }
  /* Constant time: the comparison must not tell how much matched. */
  ok = CRYPTO_memcmp(mac, sig, want) == 0;
  OPENSSL_cleanse(mac, sizeof(mac));
  return ok;
}

/* JOSE ECDSA signatures are R || S, each exactly the curve's size; OpenSSL
 * wants DER. *der is the caller's (OPENSSL_free). */
static int jwt_ecdsa_der(const unsigned char *sig, size_t half,
                         unsigned char **der, int *der_len) {
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
  BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
  int rc = SGW_ECRYPTO;

  *der = NULL;
  if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
    BN_free(r);
    BN_free(s);
    goto out;
  }
  /* es owns r and s now */
  *der_len = i2d_ECDSA_SIG(es, der);
  if (*der_len > 0)
    rc = SGW_OK;
out:
  ECDSA_SIG_free(es);
  return rc;
}

static int jwt_verify_pkey(const sgw__jwt_key_t *k, sgw_jwt_alg_t alg,
                           const char *msg, size_t mlen,
                           const unsigned char *sig, size_t slen) {
  EVP_MD_CTX *mctx = NULL;
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char *der = NULL;
  int der_len = 0, rc;

  if (alg == SGW_JWT_ES256 || alg == SGW_JWT_ES384) {
    size_t half = alg == SGW_JWT_ES256 ? 32 : 48;
    if (slen != 2 * half)
      return 0;
    rc = jwt_ecdsa_der(sig, half, &der, &der_len);
    if (rc < 0)
      goto out;
    sig = der;
    slen = (size_t)der_len;
  } else if (alg == SGW_JWT_EDDSA && slen != 64) {
    return 0;
  }
  rc = SGW_ECRYPTO;
  mctx = EVP_MD_CTX_new();
  if (mctx == NULL ||
      EVP_DigestVerifyInit_ex(mctx, &pctx, jwt_alg_md(alg), NULL, NULL,
                              k->pkey, NULL) != 1)
    goto out;
  /* PS256 (RFC 7518 3.5): MGF1 with the same hash, salt as long as it. */
  if (alg == SGW_JWT_PS256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1))
    goto out;
  if (alg != SGW_JWT_PS256 && k->type == SGW__JWK_RSA &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    goto out;
  /* 1 valid; 0 or a negative value (garbage signature) invalid. */
  rc = EVP_DigestVerify(mctx, sig, slen, (const unsigned char *)msg, mlen) ==
       1;
out:
  ERR_clear_error();
  EVP_MD_CTX_free(mctx);
  OPENSSL_free(der);
  return rc;
}

/* Can key k verify a token of this alg? */
static int jwt_key_fits(const sgw__jwt_key_t *k, sgw_jwt_alg_t alg) {
  return k->usable && k->type == sgw__jwt_alg_key_type(alg) &&
         (k->alg == SGW__JWK_ANY_ALG || k->alg == (int)alg);
}

static int jwt_kid_is(const sgw__jwt_key_t *k, const char *kid) {
  return k->kid != NULL && strcmp(k->kid, kid) == 0;
}

/* Picks the keys and checks the signature. A token with a kid uses the
 * keys of that kid; if there are none, keys without a kid (a shared
 * secret, a PEM key) may still sign it, and only if those do not fit
 * either is the kid unknown. A token without a kid tries every key that
 * fits its alg. */
static int jwt_check_signature(const sgw_jwt_keyset_t *ks,
                               sgw_jwt_alg_t alg, const char *kid,
                               const char *msg, size_t mlen,
                               const unsigned char *sig, size_t slen,
                               sgw_jwt_result_t *res) {
  size_t i, named = 0, tried = 0;
  int v;

  if (kid != NULL)
    for (i = 0; i < ks->n; i++)
      named += jwt_kid_is(&ks->keys[i], kid);
  for (i = 0; i < ks->n; i++) {
    const sgw__jwt_key_t *k = &ks->keys[i];
    if (kid != NULL && (named ? !jwt_kid_is(k, kid) : k->kid != NULL))
      continue;
    if (!jwt_key_fits(k, alg))
      continue;
    tried++;
    v = k->type == SGW__JWK_OCT
            ? jwt_verify_hmac(k, alg, msg, mlen, sig, slen)
            : jwt_verify_pkey(k, alg, msg, mlen, sig, slen);
    if (v < 0)
      return jwt_internal(res, v);
    if (v == 1)
      return SGW_OK;
  }
  if (tried > 0)
    return jwt_refuse(res, SGW_JWT_BAD_SIGNATURE, "signature does not verify");
  if (kid != NULL && named == 0)
    return jwt_refuse(res, SGW_JWT_UNKNOWN_KID, "no key has this kid");
  return jwt_refuse(res, SGW_JWT_KEY_MISMATCH, "no key for alg %s",
                    jwt_alg_names[alg]);
}

/* ---- claims ------------------------------------------------------------- */

/* A NumericDate member: absent (0), present (1) or malformed (< 0). */
static int jwt_claim_time(const cJSON *claims, const char *name, double *v) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);

  if (c == NULL)
    return 0;
  if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
    return SGW_EINVAL;
  *v = c->valuedouble;
  return 1;
}

/* The registered claims of RFC 7519 4.1 must have their types, whether or
 * not the caller checks them. */
static int jwt_claim_types(const cJSON *claims, sgw_jwt_result_t *res) {
  static const char *const strs[] = {"iss", "sub", "jti", NULL};
  const cJSON *c;

  for (int i = 0; strs[i] != NULL; i++) {
    c = cJSON_GetObjectItemCaseSensitive(claims, strs[i]);
    if (c != NULL && !cJSON_IsString(c))
      return jwt_refuse(res, SGW_JWT_MALFORMED, "claim %s is not a string",
                        strs[i]);
  }
  c = cJSON_GetObjectItemCaseSensitive(claims, "aud");
  if (c != NULL && !cJSON_IsString(c)) {
    const cJSON *e;
    if (!cJSON_IsArray(c))
      return jwt_refuse(res, SGW_JWT_MALFORMED,
                        "claim aud is neither a string nor an array");
    cJSON_ArrayForEach(e, c) {
      if (!cJSON_IsString(e))
        return jwt_refuse(res, SGW_JWT_MALFORMED,
                          "claim aud holds a non-string");
    }
  }
  return SGW_OK;
}

static int jwt_aud_ok(const cJSON *aud, const sgw_jwt_opts_t *o) {
  const cJSON *e;

  if (cJSON_IsString(aud)) {
    for (size_t i = 0; i < o->naud; i++)
      if (strcmp(aud->valuestring, o->aud[i]) == 0)
        return 1;
    return 0;
  }
  cJSON_ArrayForEach(e, aud) {
    if (jwt_aud_ok(e, o))
      return 1;
  }
  return 0;
}

static int jwt_check_claims(const cJSON *claims, const sgw_jwt_opts_t *o,
                            sgw_jwt_result_t *res) {
  double exp = 0, nbf = 0, iat = 0;
  double now = (double)o->now, leeway = (double)o->leeway;
  int has_exp, has_nbf, has_iat, rc;
  const cJSON *c;

  has_exp = jwt_claim_time(claims, "exp", &exp);
  has_nbf = jwt_claim_time(claims, "nbf", &nbf);
  has_iat = jwt_claim_time(claims, "iat", &iat);
  if (has_exp < 0 || has_nbf < 0 || has_iat < 0)
    return jwt_refuse(res, SGW_JWT_MALFORMED,
                      "claim exp, nbf or iat is not a number");
  rc = jwt_claim_types(claims, res);
  if (rc < 0)
    return rc;
  /* RFC 7519 4.1.4: the token is valid only before exp. */
  if (has_exp && now - leeway >= exp)
    return jwt_refuse(res, SGW_JWT_EXPIRED, "token expired");
  if (!has_exp && o->require_exp)
    return jwt_refuse(res, SGW_JWT_MISSING_EXP, "token has no exp claim");
  if (has_nbf && now + leeway < nbf)
    return jwt_refuse(res, SGW_JWT_NOT_YET_VALID, "token not valid yet");
  if (has_iat && now + leeway < iat)
    return jwt_refuse(res, SGW_JWT_IAT_IN_FUTURE, "token issued in the future");
  if (o->iss != NULL) {
    c = cJSON_GetObjectItemCaseSensitive(claims, "iss");
    if (c == NULL || strcmp(c->valuestring, o->iss) != 0)
      return jwt_refuse(res, SGW_JWT_BAD_ISSUER, "issuer not accepted");
  }
  if (o->naud > 0) {
    c = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    if (c == NULL || !jwt_aud_ok(c, o))
      return jwt_refuse(res, SGW_JWT_BAD_AUDIENCE, "audience not accepted");
  }
  return SGW_OK;
}

/* ---- the token ---------------------------------------------------------- */

static const char *const jwt_header_strs[] = {"typ", "cty", NULL};

/* Reads alg and kid from the parsed header. */
static int jwt_check_header(const cJSON *h, const sgw_jwt_opts_t *o,
                            sgw_jwt_alg_t *alg, const char **kid,
                            sgw_jwt_result_t *res) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "alg");
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(h, "kid");
  int i;

  if (!cJSON_IsString(a))
    return jwt_refuse(res, SGW_JWT_MALFORMED, "header has no string alg");
  if (k != NULL && !cJSON_IsString(k))
    return jwt_refuse(res, SGW_JWT_MALFORMED, "header kid is not a string");
  for (i = 0; jwt_header_strs[i] != NULL; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, jwt_header_strs[i]);
    if (v != NULL && !cJSON_IsString(v))
      return jwt_refuse(res, SGW_JWT_MALFORMED, "header %s is not a string",
                        jwt_header_strs[i]);
  }
  /* We understand no extension, so any "crit" must be refused (RFC 7515
   * 4.1.11); "b64" changes what is signed (RFC 7797). */
  if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL ||
      cJSON_GetObjectItemCaseSensitive(h, "b64") != NULL)
    return jwt_refuse(res, SGW_JWT_UNSUPPORTED,
                      "header has crit or b64, which are not supported");
  i = sgw_jwt_alg_parse(a->valuestring, strlen(a->valuestring));
  if (i < 0 || !(o->algs & SGW_JWT_ALG_BIT(i)))
    return jwt_refuse(res, SGW_JWT_ALG_NOT_ALLOWED, "alg %s is not accepted",
                      jwt_printable(a));
  *alg = (sgw_jwt_alg_t)i;
  *kid = k != NULL ? k->valuestring : NULL;
  return SGW_OK;
}

static int jwt_decode_json(const char *b64, size_t len, unsigned char *buf,
                           cJSON **out, const char *what,
                           sgw_jwt_result_t *res) {
  size_t n = 0;
  int rc;

  if (jwt_b64(b64, len, buf, &n) < 0)
    return jwt_refuse(res, SGW_JWT_MALFORMED, "%s is not base64url", what);
  rc = sgw__jwt_json_object((const char *)buf, n, out);
  if (rc == SGW_ENOMEM)
    return jwt_internal(res, rc);
  if (rc < 0)
    return jwt_refuse(res, SGW_JWT_MALFORMED, "%s is not a valid JSON object",
                      what);
  return SGW_OK;
}

int sgw_jwt_verify(const sgw_jwt_keyset_t *ks, const char *token, size_t len,
                   const sgw_jwt_opts_t *opts, sgw_jwt_result_t *res) {
  const char *dot1, *dot2, *kid = NULL;
  const char *p1, *p2, *p3;
  size_t l1, l2, l3, slen = 0;
  unsigned char *buf = NULL;
  cJSON *header = NULL, *claims = NULL;
  sgw_jwt_alg_t alg = SGW_JWT_HS256;
  int rc;

  memset(res, 0, sizeof(*res));
  if (len > SGW_JWT_MAX_TOKEN)
    return jwt_refuse(res, SGW_JWT_TOO_LARGE, "token longer than %d bytes",
                      SGW_JWT_MAX_TOKEN);
  dot1 = memchr(token, '.', len);
  dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (dot2 == NULL ||
      memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
    return jwt_refuse(res, SGW_JWT_MALFORMED,
                      "token is not three dot-separated parts");
  p1 = token, l1 = (size_t)(dot1 - token);
  p2 = dot1 + 1, l2 = (size_t)(dot2 - p2);
  p3 = dot2 + 1, l3 = len - (size_t)(p3 - token);
  /* One scratch buffer serves every part: each decodes shorter than len. */
  buf = malloc(len / 4 * 3 + 3);
  if (buf == NULL)
    return jwt_internal(res, SGW_ENOMEM);

  rc = jwt_decode_json(p1, l1, buf, &header, "header", res);
  if (rc < 0)
    goto out;
  rc = jwt_check_header(header, opts, &alg, &kid, res);
  if (rc < 0)
    goto out;
  if (jwt_b64(p3, l3, buf, &slen) < 0) {
    rc = jwt_refuse(res, SGW_JWT_MALFORMED, "signature is not base64url");
    goto out;
  }
  /* The payload's alphabet is checked before the signature, so that a
   * damaged token reads as malformed, not as forged. */
  if (!jwt_b64_alphabet(p2, l2)) {
    rc = jwt_refuse(res, SGW_JWT_MALFORMED, "payload is not base64url");
    goto out;
  }
  rc = jwt_check_signature(ks, alg, kid, token, (size_t)(dot2 - token), buf,
                           slen, res);
  if (rc < 0)
    goto out;
  rc = jwt_decode_json(p2, l2, buf, &claims, "payload", res);
  if (rc < 0)
    goto out;
  rc = jwt_check_claims(claims, opts, res);
  if (rc < 0)
    goto out;
  res->reason = SGW_JWT_OK;
  res->alg = alg;
  snprintf(res->msg, sizeof(res->msg), "valid %s token", jwt_alg_names[alg]);
  res->header = header;
  res->claims = claims;
  header = claims = NULL;
out:
  cJSON_Delete(header);
  cJSON_Delete(claims);
  free(buf);
  return rc;
}
