/* Per-process and per-thread OpenSSL state that makes the hot path cheap.
 *
 * OpenSSL 3 looks up an algorithm on every EVP_sha1()/HMAC() call and
 * RAND_bytes() pays a fixed ~2 us per call whatever the length. So the
 * digests and the HMAC algorithm are fetched once per process, each thread
 * keeps its own keyed-on-demand HMAC contexts, and random bytes are drawn
 * in blocks into a per-thread pool that is wiped as it is handed out.
 * Thread state is freed when the thread exits. Not fork-safe: signgw does
 * not fork after start. */
#ifndef SGW_CRYPTO_TLS_H
#define SGW_CRYPTO_TLS_H

#include <stddef.h>

#include <openssl/evp.h>

typedef enum { SGW__SHA1, SGW__SHA256 } sgw__hash_t;

/* The fetched digest, or NULL if OpenSSL cannot provide it. */
const EVP_MD *sgw__md(sgw__hash_t h);
/* A new HMAC context for `h` that the caller owns (EVP_MAC_CTX_free,
 * which wipes it), or NULL: for keys that must not stay in a thread's
 * state. */
EVP_MAC_CTX *sgw__hmac_new(sgw__hash_t h);
/* This thread's HMAC context for `h`, or NULL on failure. */
EVP_MAC_CTX *sgw__hmac_ctx(sgw__hash_t h);
/* This thread's HMAC-SHA1 context that stays keyed with `key` between
 * calls: keyed only when the key differs from the last one. NULL on
 * failure. */
EVP_MAC_CTX *sgw__hmac_sha1_keyed(const void *key, size_t key_len);
/* This thread's digest context (reinitialised by each use), or NULL. */
EVP_MD_CTX *sgw__md_ctx(void);
/* len bytes from the thread's pool (refilled from RAND_bytes). */
int sgw__random_pooled(unsigned char *out, size_t len);

#endif
