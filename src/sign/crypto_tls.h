/* Per-process and per-thread OpenSSL state that makes the hot path cheap.
 *
 * OpenSSL 3 looks up an algorithm on every EVP_sha1()/HMAC() call and
 * RAND_bytes() pays a fixed ~2 us per call whatever the length. So the
 * digests and the HMAC algorithm are fetched once per process, each thread
 * keeps a digest context, and random bytes are drawn in blocks into a
 * per-thread pool that is wiped as it is handed out (the same kind of
 * state as OpenSSL's own per-thread generators).
 *
 * No key material is kept here: a digest context holds nothing once a
 * hash is final, and HMAC contexts, which hold their key, are made per
 * call (sgw__hmac_new) or owned by a signer (signgw/signer.h). Thread
 * state is freed when the thread exits. Not fork-safe: signgw does not
 * fork after start. */
#ifndef SGW_CRYPTO_TLS_H
#define SGW_CRYPTO_TLS_H

#include <stddef.h>

#include <openssl/evp.h>

typedef enum { SGW__SHA1, SGW__SHA256 } sgw__hash_t;

/* The fetched digest, or NULL if OpenSSL cannot provide it. */
const EVP_MD *sgw__md(sgw__hash_t h);
/* A new, unkeyed HMAC context for `h` (the caller frees it with
 * EVP_MAC_CTX_free, which wipes the key), or NULL on failure. */
EVP_MAC_CTX *sgw__hmac_new(sgw__hash_t h);
/* This thread's digest context (reinitialised by each use), or NULL. */
EVP_MD_CTX *sgw__md_ctx(void);
/* len bytes from the thread's pool (refilled from RAND_bytes). */
int sgw__random_pooled(unsigned char *out, size_t len);

#endif
