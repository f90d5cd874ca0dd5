/* Hashes, HMACs, hex, base64 and randomness (see signgw/crypto.h).
 *
 * Digests and MACs go through OpenSSL; the encoders are written here
 * because OpenSSL's base64 decoder is lenient (it skips whitespace and
 * accepts trailing garbage) and we need strict, URL-safe decoding. */
#include "signgw/crypto.h"

#include <limits.h>
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sign/crypto_tls.h"
#include "signgw/error.h"

/* OpenSSL may treat a NULL pointer as "no input" or as "reuse the previous
 * key"; hand it a real, empty buffer instead. */
static const unsigned char crypto_empty[1];

static const void *crypto_nonnull(const void *p) {
  return p != NULL ? p : crypto_empty;
}

static int crypto_digest(const EVP_MD *md, const void *data, size_t len,
                         unsigned char *out, unsigned int want) {
  EVP_MD_CTX *ctx = sgw__md_ctx();
  unsigned int n = 0;

  if (md == NULL || ctx == NULL)
    return SGW_ECRYPTO;
  /* A reused context: EVP_Digest() would allocate one per call. */
  if (!EVP_DigestInit_ex(ctx, md, NULL) ||
      !EVP_DigestUpdate(ctx, crypto_nonnull(data), len) ||
      !EVP_DigestFinal_ex(ctx, out, &n) || n != want)
    return SGW_ECRYPTO;
  return SGW_OK;
}

int sgw_sha1(const void *data, size_t len, unsigned char out[SGW_SHA1_LEN]) {
  return crypto_digest(sgw__md(SGW__SHA1), data, len, out, SGW_SHA1_LEN);
}

int sgw_sha256(const void *data, size_t len,
               unsigned char out[SGW_SHA256_LEN]) {
  return crypto_digest(sgw__md(SGW__SHA256), data, len, out, SGW_SHA256_LEN);
}

/* A context per call: an HMAC context holds its key, and none may stay
 * behind in a thread's state (a signer keeps its own; see signer.h).
 * Freeing the context wipes the key. */
static int crypto_hmac(sgw__hash_t h, const void *key, size_t key_len,
                       const void *data, size_t len, unsigned char *out,
                       size_t want) {
  EVP_MAC_CTX *ctx = sgw__hmac_new(h);
  size_t n = 0;
  int rc = SGW_ECRYPTO;

  if (ctx == NULL)
    return SGW_ECRYPTO;
  if (EVP_MAC_init(ctx, crypto_nonnull(key), key_len, NULL) &&
      EVP_MAC_update(ctx, crypto_nonnull(data), len) &&
      EVP_MAC_final(ctx, out, &n, want) && n == want)
    rc = SGW_OK;
  EVP_MAC_CTX_free(ctx);
  return rc;
}

int sgw_hmac_sha1(const void *key, size_t key_len, const void *data,
                  size_t len, unsigned char out[SGW_SHA1_LEN]) {
  return crypto_hmac(SGW__SHA1, key, key_len, data, len, out, SGW_SHA1_LEN);
}

int sgw_hmac_sha256(const void *key, size_t key_len, const void *data,
                    size_t len, unsigned char out[SGW_SHA256_LEN]) {
  return crypto_hmac(SGW__SHA256, key, key_len, data, len, out,
                     SGW_SHA256_LEN);
}

/* ---- MD5, in pieces ------------------------------------------------------ */

int sgw_md5_init(sgw_md5_t *m) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();

  m->ctx = ctx;
  if (ctx == NULL)
    return SGW_ENOMEM;
  return EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ? SGW_OK : SGW_ECRYPTO;
}

int sgw_md5_update(sgw_md5_t *m, const void *data, size_t len) {
  if (m->ctx == NULL)
    return SGW_EINVAL;
  return EVP_DigestUpdate(m->ctx, crypto_nonnull(data), len) ? SGW_OK
                                                             : SGW_ECRYPTO;
}

int sgw_md5_final(sgw_md5_t *m, unsigned char out[SGW_MD5_LEN]) {
  unsigned int n = 0;

  if (m->ctx == NULL)
    return SGW_EINVAL;
  if (!EVP_DigestFinal_ex(m->ctx, out, &n) || n != SGW_MD5_LEN)
    return SGW_ECRYPTO;
  return SGW_OK;
}

void sgw_md5_free(sgw_md5_t *m) {
  EVP_MD_CTX_free(m->ctx);
  m->ctx = NULL;
}

/* ---- hex ---------------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

void sgw_hex_encode(const unsigned char *in, size_t len, char *out) {
  size_t i;

  for (i = 0; i < len; i++) {
    out[2 * i] = hex_digits[in[i] >> 4];
    out[2 * i + 1] = hex_digits[in[i] & 0x0f];
  }
  out[2 * len] = '\0';
}

/* Not isxdigit(): that depends on the locale. */
int sgw_hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int sgw_hex_decode(const char *in, size_t len, unsigned char *out,
                   size_t *out_len) {
  size_t i;

  if (len % 2 != 0)
    return SGW_EINVAL;
  for (i = 0; i < len; i += 2) {
    int hi = sgw_hex_digit((unsigned char)in[i]);
    int lo = sgw_hex_digit((unsigned char)in[i + 1]);
    if (hi < 0 || lo < 0)
      return SGW_EINVAL;
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  *out_len = len / 2;
  return SGW_OK;
}

/* ---- base64 (RFC 4648 sections 4 and 5) --------------------------------- */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void sgw_base64_encode(const unsigned char *in, size_t len, char *out,
                       size_t *out_len, int url) {
  const char *abc = url ? b64_url : b64_std;
  size_t i = 0, o = 0;
  uint32_t v;

  for (; len - i >= 3; i += 3) {
    v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = abc[v >> 18];
    out[o++] = abc[(v >> 12) & 63];
    out[o++] = abc[(v >> 6) & 63];
    out[o++] = abc[v & 63];
  }
  if (len - i == 1) {
    v = (uint32_t)in[i] << 16;
    out[o++] = abc[v >> 18];
    out[o++] = abc[(v >> 12) & 63];
    if (!url) {
      out[o++] = '=';
      out[o++] = '=';
    }
  } else if (len - i == 2) {
    v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = abc[v >> 18];
    out[o++] = abc[(v >> 12) & 63];
    out[o++] = abc[(v >> 6) & 63];
    if (!url)
      out[o++] = '=';
  }
  out[o] = '\0';
  *out_len = o;
}

/* Value of one base64 character in the chosen alphabet, or -1. Only the two
 * last symbols differ, so ranges are clearer than two 256-entry tables; a
 * character of the other alphabet is rejected like any stranger. */
static int b64_value(unsigned char c, int url) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == (url ? '-' : '+'))
    return 62;
  if (c == (url ? '_' : '/'))
    return 63;
  return -1;
}

/* Decodes n (2..4) symbols into n - 1 bytes. Bits that fall off the end of
 * a short group must be zero: otherwise several texts would decode to the
 * same bytes, and a strict decoder accepts only the canonical one. */
static int b64_group(const char *in, size_t n, unsigned char *out, int url) {
  uint32_t v = 0;
  size_t i;

  for (i = 0; i < 4; i++) {
    int d = i < n ? b64_value((unsigned char)in[i], url) : 0;
    if (d < 0)
      return SGW_EINVAL;
    v = v << 6 | (uint32_t)d;
  }
  if (n == 2 && (v & 0xffff) != 0)
    return SGW_EINVAL;
  if (n == 3 && (v & 0xff) != 0)
    return SGW_EINVAL;

  out[0] = (unsigned char)(v >> 16);
  if (n > 2)
    out[1] = (unsigned char)(v >> 8);
  if (n > 3)
    out[2] = (unsigned char)v;
  return SGW_OK;
}

int sgw_base64_decode(const char *in, size_t len, unsigned char *out,
                      size_t *out_len, int url) {
  size_t pad = 0, n, i, o = 0;
  int rc;

  /* At most two '=' and only at the very end; a third one, or one in the
   * middle, is later rejected as a character outside the alphabet. */
  while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
    pad++;
  /* Padded text always comes in whole quanta. Unpadded text (URL-safe
   * only) may end early, but never with a single symbol: 6 bits cannot
   * hold a byte. */
  if ((pad > 0 || !url) && len % 4 != 0)
    return SGW_EINVAL;
  n = len - pad;
  if (n % 4 == 1)
    return SGW_EINVAL;

  for (i = 0; i < n; i += 4) {
    size_t k = n - i < 4 ? n - i : 4;
    rc = b64_group(in + i, k, out + o, url);
    if (rc != SGW_OK)
      return rc;
    o += k - 1;
  }
  *out_len = o;
  return SGW_OK;
}

/* ---- randomness and comparison ------------------------------------------ */

int sgw_random_bytes(void *buf, size_t len) {
  unsigned char *p = buf;

  /* Small draws (keys, ids) come from the per-thread pool; RAND_bytes()
   * takes an int, so large ones go in chunks. */
  while (len > 0) {
    size_t chunk = len > INT_MAX ? INT_MAX : len;
    if (sgw__random_pooled(p, chunk) < 0)
      return SGW_ECRYPTO;
    p += chunk;
    len -= chunk;
  }
  return SGW_OK;
}

int sgw_equal(const void *a, const void *b, size_t len) {
  if (len == 0)
    return 1;
  return CRYPTO_memcmp(a, b, len) == 0;
}
