/* JWT key sets: shared secrets and PEM public keys (see signgw/jwt.h).
 * JWK Sets are parsed in jwk.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sign/jwt_key.h"
#include "signgw/error.h"

/* Far more than any key, chain or certificate bundle needs. */
#define SGW__JWT_MAX_PEM (1024 * 1024)
#define SGW__JWT_MIN_RSA_BITS 2048

sgw__jwk_type_t sgw__jwt_alg_key_type(sgw_jwt_alg_t alg) {
  switch (alg) {
  case SGW_JWT_HS256:
  case SGW_JWT_HS384:
  case SGW_JWT_HS512:
    return SGW__JWK_OCT;
  case SGW_JWT_RS256:
  case SGW_JWT_RS384:
  case SGW_JWT_RS512:
  case SGW_JWT_PS256:
    return SGW__JWK_RSA;
  case SGW_JWT_ES256:
    return SGW__JWK_P256;
  case SGW_JWT_ES384:
    return SGW__JWK_P384;
  case SGW_JWT_EDDSA:
    return SGW__JWK_ED25519;
  default:
    return SGW__JWK_NONE;
  }
}

int sgw_jwt_keyset_new(sgw_jwt_keyset_t **out) {
  *out = calloc(1, sizeof(**out));
  return *out != NULL ? SGW_OK : SGW_ENOMEM;
}

void sgw__jwt_key_clear(sgw__jwt_key_t *key) {
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      EVP_MD_CTX_free(key->hs[i][j]); /* wipes the state */
  if (key->secret != NULL) {
    OPENSSL_cleanse(key->secret, key->secret_len);
    free(key->secret);
  }
  EVP_PKEY_free(key->pkey);
  free(key->kid);
  memset(key, 0, sizeof(*key));
}

void sgw__jwt_keyset_truncate(sgw_jwt_keyset_t *ks, size_t n) {
  while (ks->n > n)
    sgw__jwt_key_clear(&ks->keys[--ks->n]);
}

void sgw_jwt_keyset_free(sgw_jwt_keyset_t *ks) {
  if (ks == NULL)
    return;
  sgw__jwt_keyset_truncate(ks, 0);
  free(ks->keys);
  free(ks);
}

size_t sgw_jwt_keyset_count(const sgw_jwt_keyset_t *ks) { return ks->n; }

int sgw__jwt_keyset_push(sgw_jwt_keyset_t *ks, sgw__jwt_key_t *key) {
  if (ks->n >= SGW_JWT_MAX_KEYS) {
    sgw__jwt_key_clear(key);
    return SGW_ERANGE;
  }
  if (ks->n == ks->cap) {
    size_t cap = ks->cap ? ks->cap * 2 : 4;
    sgw__jwt_key_t *k = realloc(ks->keys, cap * sizeof(*k));
    if (k == NULL) {
      sgw__jwt_key_clear(key);
      return SGW_ENOMEM;
    }
    ks->keys = k;
    ks->cap = cap;
  }
  ks->keys[ks->n++] = *key;
  memset(key, 0, sizeof(*key));
  return SGW_OK;
}

/* HMAC (RFC 2104) keyed once: for each digest, the states after hashing
 * the key padded to a block and XORed with 0x36 (inner) and 0x5c
 * (outer); a key longer than a block is hashed first. */
static int key_hmac_states(sgw__jwt_key_t *key) {
  static const char *const names[3] = {"SHA256", "SHA384", "SHA512"};
  unsigned char k[128], pad[128];
  int rc = SGW_OK;

  for (int i = 0; i < 3 && rc == SGW_OK; i++) {
    EVP_MD *md = EVP_MD_fetch(NULL, names[i], NULL);
    int block = md ? EVP_MD_get_block_size(md) : 0;
    unsigned int klen = 0;

    memset(k, 0, sizeof(k));
    if (block <= 0 || block > (int)sizeof(k))
      rc = SGW_ECRYPTO;
    else if (key->secret_len > (size_t)block)
      rc = EVP_Digest(key->secret, key->secret_len, k, &klen, md, NULL)
               ? SGW_OK : SGW_ECRYPTO;
    else
      memcpy(k, key->secret, key->secret_len);
    for (int j = 0; j < 2 && rc == SGW_OK; j++) {
      for (int b = 0; b < block; b++)
        pad[b] = k[b] ^ (j == 0 ? 0x36 : 0x5c);
      if ((key->hs[i][j] = EVP_MD_CTX_new()) == NULL)
        rc = SGW_ENOMEM;
      else if (!EVP_DigestInit_ex(key->hs[i][j], md, NULL) ||
               !EVP_DigestUpdate(key->hs[i][j], pad, (size_t)block))
        rc = SGW_ECRYPTO;
    }
    EVP_MD_free(md);
  }
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(pad, sizeof(pad));
  if (rc < 0)
    ERR_clear_error();
  return rc;
}

int sgw_jwt_keyset_add_secret(sgw_jwt_keyset_t *ks, const void *secret,
                              size_t len) {
  int rc;

  sgw__jwt_key_t key = {0};

  if (len == 0)
    return SGW_EINVAL;
  key.type = SGW__JWK_OCT;
  key.alg = SGW__JWK_ANY_ALG;
  key.usable = 1;
  key.secret = malloc(len);
  if (key.secret == NULL)
    return SGW_ENOMEM;
  memcpy(key.secret, secret, len);
  key.secret_len = len;
  if ((rc = key_hmac_states(&key)) < 0) {
    sgw__jwt_key_clear(&key);
    return rc;
  }
  return sgw__jwt_keyset_push(ks, &key);
}

static int key_fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  return SGW_EINVAL;
}

int sgw__jwt_pkey_type(EVP_PKEY *pkey, sgw__jwk_type_t *type, char *err,
                       size_t errlen) {
  char group[64];
  size_t glen = 0;
  EVP_PKEY_CTX *ctx;
  int nid, ok;

  switch (EVP_PKEY_get_base_id(pkey)) {
  case EVP_PKEY_RSA:
    /* Short moduli are factorable; the JWA spec asks for 2048 bits. */
    if (EVP_PKEY_get_bits(pkey) < SGW__JWT_MIN_RSA_BITS)
      return key_fail(err, errlen, "RSA key shorter than 2048 bits");
    *type = SGW__JWK_RSA;
    return SGW_OK;
  case EVP_PKEY_ED25519:
    *type = SGW__JWK_ED25519;
    return SGW_OK;
  case EVP_PKEY_EC:
    if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen))
      return key_fail(err, errlen, "EC key without a named curve");
    nid = OBJ_sn2nid(group);
    if (nid == NID_undef)
      nid = OBJ_ln2nid(group);
    if (nid == NID_X9_62_prime256v1)
      *type = SGW__JWK_P256;
    else if (nid == NID_secp384r1)
      *type = SGW__JWK_P384;
    else
      return key_fail(err, errlen, "EC curve other than P-256 or P-384");
    /* The point must lie on the curve (invalid-curve attacks). */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok ? SGW_OK : key_fail(err, errlen, "EC public key is invalid");
  default:
    return key_fail(err, errlen,
                    "key type other than RSA, EC P-256/P-384 or Ed25519");
  }
}

/* One PEM block's DER into a public key; *pkey NULL with a reason in err
 * on failure. */
static int pem_block_key(const char *name, const unsigned char *der,
                         long len, EVP_PKEY **pkey, char *err,
                         size_t errlen) {
  const unsigned char *p = der;
  X509 *x;

  *pkey = NULL;
  if (strcmp(name, "PUBLIC KEY") == 0) {
    *pkey = d2i_PUBKEY(NULL, &p, len);
  } else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
    *pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
  } else if (strcmp(name, "CERTIFICATE") == 0) {
    x = d2i_X509(NULL, &p, len);
    if (x != NULL)
      *pkey = X509_get_pubkey(x);
    X509_free(x);
  } else if (strstr(name, "PRIVATE KEY") != NULL) {
    return key_fail(err, errlen,
                    "PEM holds a private key; give the public key");
  } else {
    return key_fail(err, errlen,
                    "PEM block is not a PUBLIC KEY, RSA PUBLIC KEY or "
                    "CERTIFICATE");
  }
  /* Bytes after the DER structure mean a damaged block. */
  if (*pkey != NULL && p != der + len) {
    EVP_PKEY_free(*pkey);
    *pkey = NULL;
  }
  if (*pkey == NULL)
    return key_fail(err, errlen, "PEM block does not hold a valid key");
  return SGW_OK;
}

int sgw_jwt_keyset_add_pem(sgw_jwt_keyset_t *ks, const char *pem, size_t len,
                           char *err, size_t errlen) {
  size_t n0 = ks->n, blocks = 0;
  BIO *bio = NULL;
  int rc = SGW_OK;

  if (len > SGW__JWT_MAX_PEM)
    return key_fail(err, errlen, "PEM text too large");
  bio = BIO_new_mem_buf(pem, (int)len);
  if (bio == NULL)
    return SGW_ENOMEM;
  ERR_clear_error();
  for (;;) {
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    sgw__jwt_key_t key = {0};

    if (!PEM_read_bio(bio, &name, &header, &der, &der_len)) {
      unsigned long e = ERR_peek_last_error();
      /* No further "-----BEGIN" line: the normal end. */
      if (blocks > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM &&
          ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
        break;
      rc = key_fail(err, errlen, blocks ? "PEM text has a damaged block"
                                        : "no PEM block found");
      break;
    }
    blocks++;
    rc = pem_block_key(name, der, der_len, &key.pkey, err, errlen);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    if (rc == SGW_OK)
      rc = sgw__jwt_pkey_type(key.pkey, &key.type, err, errlen);
    if (rc != SGW_OK) {
      sgw__jwt_key_clear(&key);
      break;
    }
    key.alg = SGW__JWK_ANY_ALG;
    key.usable = 1;
    rc = sgw__jwt_keyset_push(ks, &key);
    if (rc == SGW_ERANGE)
      rc = key_fail(err, errlen, "too many keys");
    if (rc != SGW_OK)
      break;
  }
  ERR_clear_error();
  BIO_free(bio);
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory");
  if (rc != SGW_OK)
    sgw__jwt_keyset_truncate(ks, n0);
  return rc;
}
