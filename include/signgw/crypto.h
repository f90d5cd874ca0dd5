/* Hashing, MACs, encodings and randomness on top of OpenSSL.
 *
 * Every function writes into caller-owned memory and returns 0 or a
 * negative SGW_E* code. No key is kept between calls: an HMAC gets a
 * context of its own that is wiped when it returns (code that signs many
 * messages with one key keeps it in a signer; see signer.h). */
#ifndef SIGNGW_CRYPTO_H
#define SIGNGW_CRYPTO_H

#include <stddef.h>

#define SGW_SHA1_LEN   20
#define SGW_SHA256_LEN 32
#define SGW_MD5_LEN    16

/* Bytes needed for the base64 text of n input bytes, excluding the NUL. */
#define SGW_BASE64_LEN(n) ((((n) + 2) / 3) * 4)

int sgw_sha1(const void *data, size_t len, unsigned char out[SGW_SHA1_LEN]);
int sgw_sha256(const void *data, size_t len,
               unsigned char out[SGW_SHA256_LEN]);
int sgw_hmac_sha1(const void *key, size_t key_len, const void *data,
                  size_t len, unsigned char out[SGW_SHA1_LEN]);
int sgw_hmac_sha256(const void *key, size_t key_len, const void *data,
                    size_t len, unsigned char out[SGW_SHA256_LEN]);

/* An MD5 digest fed in pieces: the ETag COS gives an object uploaded in
 * one request. Not for anything that needs collision resistance.
 * The caller owns the struct; sgw_md5_free() releases what init took
 * (also after an error, and on a struct init failed for). */
typedef struct sgw_md5_s {
  void *ctx; /* EVP_MD_CTX */
} sgw_md5_t;

int sgw_md5_init(sgw_md5_t *m);
int sgw_md5_update(sgw_md5_t *m, const void *data, size_t len);
int sgw_md5_final(sgw_md5_t *m, unsigned char out[SGW_MD5_LEN]);
void sgw_md5_free(sgw_md5_t *m);

/* Lower-case hex. `out` holds 2*len + 1 bytes; it is NUL-terminated. */
void sgw_hex_encode(const unsigned char *in, size_t len, char *out);
/* Accepts either case. `out` holds len/2 bytes. SGW_EINVAL on odd length
 * or a non-hex character. */
int sgw_hex_decode(const char *in, size_t len, unsigned char *out,
                   size_t *out_len);

/* Value of one hex digit (either case), or -1. Locale-independent. */
int sgw_hex_digit(unsigned char c);

/* Standard alphabet with padding, or (url != 0) the URL-safe alphabet
 * without padding. `out` holds SGW_BASE64_LEN(len) + 1 bytes; it is
 * NUL-terminated; the text length is stored in *out_len. */
void sgw_base64_encode(const unsigned char *in, size_t len, char *out,
                       size_t *out_len, int url);
/* Strict decoding: SGW_EINVAL on a character outside the alphabet, bad
 * padding or a length that cannot be base64. Padding is optional for the
 * URL-safe alphabet. `out` holds at least len * 3 / 4 + 3 bytes. */
int sgw_base64_decode(const char *in, size_t len, unsigned char *out,
                      size_t *out_len, int url);

/* Bytes from OpenSSL's CSPRNG. */
int sgw_random_bytes(void *buf, size_t len);

/* Constant-time comparison of two equal-length buffers: 1 if equal. */
int sgw_equal(const void *a, const void *b, size_t len);

#endif
