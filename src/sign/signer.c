/* A thread's signing state and its SignKey cache (see signgw/signer.h). */
#include "sign/signer_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sign/crypto_tls.h"
#include "signgw/error.h"

int sgw_signer_new(sgw_signer_t **out) {
  sgw_signer_t *s;

  *out = NULL;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    return SGW_ENOMEM;
  s->derive = sgw__hmac_new(SGW__SHA1);
  s->keyed = sgw__hmac_new(SGW__SHA1);
  s->md = EVP_MD_CTX_new();
  if (s->derive == NULL || s->keyed == NULL || s->md == NULL ||
      sgw__md(SGW__SHA1) == NULL) {
    sgw_signer_free(s);
    return SGW_ECRYPTO;
  }
  *out = s;
  return SGW_OK;
}

void sgw_signer_free(sgw_signer_t *s) {
  if (s == NULL)
    return;
  EVP_MAC_CTX_free(s->derive);
  EVP_MAC_CTX_free(s->keyed);
  EVP_MD_CTX_free(s->md);
  OPENSSL_cleanse(s, sizeof(*s));
  free(s);
}

int sgw__signer_use(sgw_signer_t *s, sgw_signer_t **use, sgw_signer_t **tmp) {
  int rc = SGW_OK;

  *tmp = NULL;
  if (s == NULL && (rc = sgw_signer_new(tmp)) == SGW_OK)
    s = *tmp;
  *use = s;
  return rc;
}

int sgw__signer_sha1_hex(sgw_signer_t *s, const void *data, size_t len,
                         char hex[2 * SGW_SHA1_LEN + 1]) {
  unsigned char md[SGW_SHA1_LEN];
  unsigned int n = 0;

  if (!EVP_DigestInit_ex(s->md, sgw__md(SGW__SHA1), NULL) ||
      !EVP_DigestUpdate(s->md, len ? data : "", len) ||
      !EVP_DigestFinal_ex(s->md, md, &n) || n != SGW_SHA1_LEN)
    return SGW_ECRYPTO;
  sgw_hex_encode(md, sizeof(md), hex);
  return SGW_OK;
}

static int signer_mac(EVP_MAC_CTX *ctx, const void *key, size_t key_len,
                      const void *msg, size_t len,
                      unsigned char out[SGW_SHA1_LEN]) {
  size_t n = 0;

  /* A NULL key re-starts with the key the context already holds. */
  return EVP_MAC_init(ctx, key, key_len, NULL) &&
                 EVP_MAC_update(ctx, len ? msg : (const void *)"", len) &&
                 EVP_MAC_final(ctx, out, &n, SGW_SHA1_LEN) &&
                 n == SGW_SHA1_LEN
             ? SGW_OK
             : SGW_ECRYPTO;
}

/* Derives the SignKey into s->sign_key and keys s->keyed with it. The
 * cache is marked valid only when everything succeeded. */
static int signer_derive(sgw_signer_t *s, const char *secret, size_t slen,
                         const char *key_time, size_t klen) {
  unsigned char mac[SGW_SHA1_LEN];
  int rc;

  s->kept = 0;
  /* An empty key must still be a real pointer: NULL means "the old key". */
  rc = signer_mac(s->derive, slen ? secret : "", slen, key_time, klen, mac);
  if (rc == SGW_OK) {
    sgw_hex_encode(mac, sizeof(mac), s->sign_key);
    if (!EVP_MAC_init(s->keyed, (const unsigned char *)s->sign_key,
                      2 * SGW_SHA1_LEN, NULL))
      rc = SGW_ECRYPTO;
  }
  OPENSSL_cleanse(mac, sizeof(mac));
  if (rc != SGW_OK)
    return rc;
  if (slen < sizeof(s->secret) && klen < sizeof(s->key_time)) {
    memcpy(s->secret, secret, slen);
    s->secret_len = slen;
    memcpy(s->key_time, key_time, klen + 1);
    s->kept = 1;
  }
  return SGW_OK;
}

int sgw__signer_cos_sign(sgw_signer_t *s, const char *secret,
                         const char *key_time, const void *msg, size_t len,
                         char sig[2 * SGW_SHA1_LEN + 1]) {
  size_t slen = strlen(secret), klen = strlen(key_time);
  unsigned char mac[SGW_SHA1_LEN];
  int rc;

  if (!(s->kept && slen == s->secret_len &&
        strcmp(s->key_time, key_time) == 0 &&
        CRYPTO_memcmp(s->secret, secret, slen) == 0)) {
    if ((rc = signer_derive(s, secret, slen, key_time, klen)) < 0)
      return rc;
    /* s->keyed is keyed now; signer_mac below re-starts it. */
  }
  rc = signer_mac(s->keyed, NULL, 0, msg, len, mac);
  if (rc == SGW_OK)
    sgw_hex_encode(mac, sizeof(mac), sig);
  OPENSSL_cleanse(mac, sizeof(mac));
  if (!s->kept) /* not cacheable: leave no SignKey behind */
    OPENSSL_cleanse(s->sign_key, sizeof(s->sign_key));
  return rc;
}
