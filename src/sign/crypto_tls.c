#include "sign/crypto_tls.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "signgw/error.h"

#define SGW__POOL_SIZE 1024

typedef struct crypto_thread_s {
  EVP_MD_CTX *md_ctx;
  size_t pool_left;                 /* unused bytes at the pool's end */
  unsigned char pool[SGW__POOL_SIZE];
} crypto_thread_t;

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static pthread_key_t crypto_key;
static EVP_MD *crypto_md[2];
static EVP_MAC *crypto_hmac;
static const char *const crypto_md_names[2] = {"SHA1", "SHA256"};

static void crypto_thread_free(void *p) {
  crypto_thread_t *t = p;

  EVP_MD_CTX_free(t->md_ctx);
  OPENSSL_cleanse(t->pool, sizeof(t->pool));
  free(t);
}

static void crypto_init(void) {
  crypto_md[0] = EVP_MD_fetch(NULL, "SHA1", NULL);
  crypto_md[1] = EVP_MD_fetch(NULL, "SHA256", NULL);
  crypto_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  pthread_key_create(&crypto_key, crypto_thread_free);
}

static crypto_thread_t *crypto_thread(void) {
  crypto_thread_t *t;

  pthread_once(&crypto_once, crypto_init);
  if ((t = pthread_getspecific(crypto_key)) != NULL)
    return t;
  if ((t = calloc(1, sizeof(*t))) == NULL)
    return NULL;
  if (pthread_setspecific(crypto_key, t) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

const EVP_MD *sgw__md(sgw__hash_t h) {
  pthread_once(&crypto_once, crypto_init);
  return crypto_md[h];
}

EVP_MAC_CTX *sgw__hmac_new(sgw__hash_t h) {
  OSSL_PARAM params[2];
  EVP_MAC_CTX *ctx;

  pthread_once(&crypto_once, crypto_init);
  if (crypto_hmac == NULL)
    return NULL;
  params[0] = OSSL_PARAM_construct_utf8_string(
      OSSL_MAC_PARAM_DIGEST, (char *)crypto_md_names[h], 0);
  params[1] = OSSL_PARAM_construct_end();
  ctx = EVP_MAC_CTX_new(crypto_hmac);
  if (ctx != NULL && !EVP_MAC_CTX_set_params(ctx, params)) {
    EVP_MAC_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

EVP_MD_CTX *sgw__md_ctx(void) {
  crypto_thread_t *t = crypto_thread();

  if (t == NULL)
    return NULL;
  if (t->md_ctx == NULL)
    t->md_ctx = EVP_MD_CTX_new();
  return t->md_ctx;
}

int sgw__random_pooled(unsigned char *out, size_t len) {
  crypto_thread_t *t = crypto_thread();
  unsigned char *src;

  if (t == NULL || len > SGW__POOL_SIZE / 4)
    return RAND_bytes(out, (int)len) == 1 ? 0 : SGW_ECRYPTO;
  if (t->pool_left < len) {
    if (RAND_bytes(t->pool, SGW__POOL_SIZE) != 1)
      return SGW_ECRYPTO;
    t->pool_left = SGW__POOL_SIZE;
  }
  /* Hand out from the end and wipe: a byte is never given twice. */
  src = t->pool + t->pool_left - len;
  memcpy(out, src, len);
  OPENSSL_cleanse(src, len);
  t->pool_left -= len;
  return 0;
}
