/* The inside of a JWT key set, shared by jwt_key.c (secrets, PEM),
 * jwk.c (JWK Sets) and jwt.c (verification). Not a public header. */
#ifndef SGW_JWT_KEY_H
#define SGW_JWT_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "signgw/jwt.h"

/* What a key can verify. A token's alg needs exactly one of these. */
typedef enum {
  SGW__JWK_NONE,    /* kept only for its kid: unsupported kty or curve */
  SGW__JWK_OCT,     /* HS256/384/512 */
  SGW__JWK_RSA,     /* RS256/384/512, PS256 */
  SGW__JWK_P256,    /* ES256 */
  SGW__JWK_P384,    /* ES384 */
  SGW__JWK_ED25519  /* EdDSA */
} sgw__jwk_type_t;

/* JWK "alg" absent: the key verifies any alg of its type. */
#define SGW__JWK_ANY_ALG (-1)
/* JWK "alg" names something we do not verify: the key verifies nothing. */
#define SGW__JWK_NO_ALG (-2)

typedef struct sgw__jwt_key_s {
  sgw__jwk_type_t type;
  char *kid;             /* owned, NUL-terminated; NULL when absent */
  size_t kid_len;
  int alg;               /* an sgw_jwt_alg_t, or SGW__JWK_*_ALG */
  int usable;            /* 0 when "use"/"key_ops" forbid verifying */
  unsigned char *secret; /* SGW__JWK_OCT: owned, wiped on free */
  size_t secret_len;
  /* SGW__JWK_OCT: HMAC's inner and outer hash states after the padded
   * key, for HS256, HS384 and HS512 (RFC 2104), made with the key: a
   * verification copies them instead of keying HMAC again. Owned, wiped
   * on free; only read afterwards, so threads may share them. */
  EVP_MD_CTX *hs[3][2];
  EVP_PKEY *pkey;        /* the public key types: owned */
} sgw__jwt_key_t;

struct sgw_jwt_keyset_s {
  sgw__jwt_key_t *keys;
  size_t n, cap;
};

/* The key type an alg needs. */
sgw__jwk_type_t sgw__jwt_alg_key_type(sgw_jwt_alg_t alg);

/* Appends *key to the set, which takes ownership of its members (the
 * struct itself is copied). On failure the key is cleared. */
int sgw__jwt_keyset_push(sgw_jwt_keyset_t *ks, sgw__jwt_key_t *key);
/* Drops keys from index `n` on (undoes a failed add). */
void sgw__jwt_keyset_truncate(sgw_jwt_keyset_t *ks, size_t n);
/* Frees the members of one key, wiping a secret. */
void sgw__jwt_key_clear(sgw__jwt_key_t *key);

/* The type of a public key loaded from PEM or JWK, checking what we
 * accept (RSA >= 2048 bits, P-256, P-384, Ed25519). SGW_EINVAL with a
 * reason in err otherwise. */
int sgw__jwt_pkey_type(EVP_PKEY *pkey, sgw__jwk_type_t *type, char *err,
                       size_t errlen);

struct cJSON;

/* Parses JSON text that must be one object, strictly: valid UTF-8, no NUL
 * (raw or \u0000), no duplicate member names at any level, nesting at most
 * SGW_JWT_MAX_DEPTH, nothing but whitespace after it. *out is the caller's
 * (cJSON_Delete). SGW_EINVAL or SGW_ENOMEM. */
int sgw__jwt_json_object(const char *s, size_t len, struct cJSON **out);

#endif
