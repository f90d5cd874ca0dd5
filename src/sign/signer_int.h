/* The inside of a signer (signgw/signer.h), for the signing code in
 * src/sign/ only. */
#ifndef SGW_SIGNER_INT_H
#define SGW_SIGNER_INT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "signgw/crypto.h"
#include "signgw/signer.h"

/* A SecretKey at least this long is used, never kept: the SignKey is then
 * derived again for every signature. */
#define SGW__SIGNER_SECRET_MAX 128
/* "start;end" of two int64 values and the NUL. */
#define SGW__SIGNER_KEY_TIME_MAX 48

struct sgw_signer_s {
  EVP_MAC_CTX *derive;  /* HMAC-SHA1 for SignKey = HMAC(SecretKey, KeyTime) */
  EVP_MAC_CTX *keyed;   /* HMAC-SHA1 keyed with sign_key while `kept` */
  EVP_MD_CTX *md;       /* SHA-1 of the strings that are signed */
  int kept;             /* secret/key_time/sign_key hold the last SignKey */
  size_t secret_len;
  char secret[SGW__SIGNER_SECRET_MAX];   /* what sign_key was made from */
  char key_time[SGW__SIGNER_KEY_TIME_MAX];
  char sign_key[2 * SGW_SHA1_LEN + 1];   /* hex, as COS uses it */
};

/* `s` itself in *use, or (s NULL) a temporary signer in *use and *tmp,
 * which the caller frees with sgw_signer_free(*tmp). *tmp is NULL when
 * nothing was made. */
int sgw__signer_use(sgw_signer_t *s, sgw_signer_t **use, sgw_signer_t **tmp);

/* hex(SHA1(data)), NUL-terminated. */
int sgw__signer_sha1_hex(sgw_signer_t *s, const void *data, size_t len,
                         char hex[2 * SGW_SHA1_LEN + 1]);

/* The COS signature step shared by requests and POST policies:
 *   hex(HMAC-SHA1(hex(HMAC-SHA1(secret, key_time)), msg))
 * The SignKey is derived only when secret or key_time differ from the
 * last call's. */
int sgw__signer_cos_sign(sgw_signer_t *s, const char *secret,
                         const char *key_time, const void *msg, size_t len,
                         char sig[2 * SGW_SHA1_LEN + 1]);

#endif
