/* The canonical form COS signs, shared by signing (cos.c) and
 * verification (cos_verify.c) so that both run the same code. */
#ifndef SGW_COS_INT_H
#define SGW_COS_INT_H

#include <stddef.h>

#include "signgw/buf.h"
#include "signgw/cos.h"
#include "signgw/crypto.h"
#include "signgw/signer.h"

/* One name/value pair of a canonical set. */
typedef struct sgw__cos_pair_s {
  const sgw_kv_t *kv;
  size_t index;     /* input position: ties keep it, as JS's stable sort */
  size_t enc_off;   /* lower(cam-safe(name)) inside the set's `names` */
  size_t enc_len;
  const char *enc;  /* set once `names` stops growing */
} sgw__cos_pair_t;

/* The headers or the parameters of a request, with each name encoded
 * once. The set points into the kv array it was built from. */
typedef struct sgw__cos_set_s {
  sgw__cos_pair_t *v;
  size_t n;
  sgw_buf_t names;
} sgw__cos_set_t;

void sgw__cos_set_init(sgw__cos_set_t *s);
void sgw__cos_set_free(sgw__cos_set_t *s);
/* With only_signed, keeps the headers COS signs (see cos.h) and drops the
 * rest; otherwise keeps every pair. SGW_EINVAL on a NULL name or value
 * with a length, SGW_ENOMEM. */
int sgw__cos_set_build(sgw__cos_set_t *s, const sgw_kv_t *kv, size_t n,
                       int only_signed);
/* Appends "k1;k2": the encoded names in the order the SDK lists them. */
int sgw__cos_append_list(sgw_buf_t *out, sgw__cos_set_t *s);

/* q-signature of a request:
 *   SignKey      = hex(HMAC-SHA1(secret, key_time))
 *   HttpString   = lower(method) \n path \n params \n headers \n
 *   StringToSign = "sha1\n" sign_time "\n" hex(SHA1(HttpString)) "\n"
 *   sig          = hex(HMAC-SHA1(SignKey, StringToSign))
 * Sorts both sets by raw name. `signer` must not be NULL. */
int sgw__cos_signature(sgw_signer_t *signer, const char *secret,
                       const char *key_time, const char *sign_time,
                       const char *method, const char *path, size_t path_len,
                       sgw__cos_set_t *params, sgw__cos_set_t *headers,
                       char sig[2 * SGW_SHA1_LEN + 1]);

/* q-signature of a POST policy (the JSON text, as signed):
 *   hex(HMAC-SHA1(hex(HMAC-SHA1(secret, key_time)), hex(SHA1(policy)))) */
int sgw__cos_policy_signature(sgw_signer_t *signer, const char *secret,
                              const char *key_time, const char *policy,
                              size_t len, char sig[2 * SGW_SHA1_LEN + 1]);

/* Parses "start;end" (two decimal int64, optionally negative, start <=
 * end): 0, or SGW_EINVAL. */
int sgw__cos_parse_key_time(const char *s, size_t len, int64_t *start,
                            int64_t *end);

#endif
