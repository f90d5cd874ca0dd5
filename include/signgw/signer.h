/* The state a thread signs with: its own OpenSSL contexts for the COS
 * algorithm and the one SignKey it derived last.
 *
 * A COS SignKey, hex(HMAC-SHA1(SecretKey, KeyTime)), is the same for every
 * request signed within one key time, so deriving it once and keeping an
 * HMAC context keyed with it saves most of the cost of a signature. That
 * is key material, so it lives only here, in an object with an owner, and
 * not in a global or a thread-local: the worker owns one signer, passes it
 * to every cos.h call it makes, and wipes it when it drops it.
 *
 * Ownership: sgw_signer_new() allocates, sgw_signer_free() wipes (with
 * OPENSSL_cleanse) and frees. A signer is used by one thread at a time
 * and never locks. Every cos.h function that takes a signer also accepts
 * NULL and then uses a temporary one for that call (slower: nothing is
 * kept), for code that runs without a worker. */
#ifndef SIGNGW_SIGNER_H
#define SIGNGW_SIGNER_H

typedef struct sgw_signer_s sgw_signer_t;

/* 0 and *out, or SGW_ENOMEM / SGW_ECRYPTO (OpenSSL cannot provide
 * HMAC-SHA1). */
int sgw_signer_new(sgw_signer_t **out);
/* Wipes the kept SecretKey copy, KeyTime and SignKey, frees the contexts
 * (OpenSSL wipes their key schedules) and the signer. NULL is allowed. */
void sgw_signer_free(sgw_signer_t *s);

#endif
