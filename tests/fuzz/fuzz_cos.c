/* libFuzzer target: COS request signatures and POST policies from fields
 * cut out of the input. Neither may crash, and the SecretKey never shows
 * in any output. The key holds control bytes, which every output escapes
 * or encodes: it can only appear verbatim if it leaked. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fields.h"
#include "signgw/buf.h"
#include "signgw/cos.h"
#include "signgw/signer.h"

#define MAX_FIELDS 64
#define MAX_KV 12

static const char SECRET_KEY[] = "fuzz\x01Secret\x02Key\x03NeverLeaves";

/* Set when the input itself holds the key: a secret id or an extra
 * condition is copied into the output as it is, so the key may then
 * appear without having leaked. */
static int input_has_secret;

static void no_secret(const char *p, size_t len) {
  if (!input_has_secret)
    fuzz_no_secret(p, len, SECRET_KEY, sizeof(SECRET_KEY) - 1);
}

/* One signer for the whole run, as a worker keeps one: its kept SignKey
 * meets every input. Flag bit 16 signs with a one-off signer instead. */
static sgw_signer_t *signer;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  field_t f[MAX_FIELDS] = {{0}};
  static const field_t empty = {"", 0};
  sgw_kv_t headers[MAX_KV], params[MAX_KV];
  size_t nf, nh, np, idx;
  sgw_buf_t out;
  char *method, *id, *bucket, *key, *token, *cond[3];
  sgw_cos_policy_result_t res;
  int rc;

  if (size < 4)
    return 0;
  if (signer == NULL && sgw_signer_new(&signer) < 0)
    abort();
  input_has_secret = memmem(data, size, SECRET_KEY, sizeof(SECRET_KEY) - 1) != NULL;
  nh = data[0] % MAX_KV;
  np = data[1] % MAX_KV;
  unsigned flags = data[2], ncond = data[3] % 4;
  nf = fuzz_split(data + 4, size - 4, f, MAX_FIELDS);
  for (size_t i = nf; i < MAX_FIELDS; i++)
    f[i] = empty;

  /* 0 method, 1 path, 2 secret id, then header and param pairs, then
   * bucket, key, token, start, end, min, max, conditions. */
  method = fuzz_cstr(&f[0]);
  id = fuzz_cstr(&f[2]);
  idx = 3;
  for (size_t i = 0; i < nh; i++, idx += 2)
    headers[i] = (sgw_kv_t){f[idx % MAX_FIELDS].p, f[idx % MAX_FIELDS].len,
                            f[(idx + 1) % MAX_FIELDS].p,
                            f[(idx + 1) % MAX_FIELDS].len};
  for (size_t i = 0; i < np; i++, idx += 2)
    params[i] = (sgw_kv_t){f[idx % MAX_FIELDS].p, f[idx % MAX_FIELDS].len,
                           f[(idx + 1) % MAX_FIELDS].p,
                           f[(idx + 1) % MAX_FIELDS].len};
  bucket = fuzz_cstr(&f[idx++ % MAX_FIELDS]);
  key = fuzz_cstr(&f[idx++ % MAX_FIELDS]);
  token = fuzz_cstr(&f[idx++ % MAX_FIELDS]);
  int64_t start = fuzz_num(&f[idx++ % MAX_FIELDS]) / (1 << 20);
  int64_t end = start + fuzz_num(&f[idx++ % MAX_FIELDS]) % (1LL << 42);
  int64_t min = fuzz_num(&f[idx++ % MAX_FIELDS]) - 1000;
  int64_t max = fuzz_num(&f[idx++ % MAX_FIELDS]);
  for (unsigned i = 0; i < 3; i++)
    cond[i] = fuzz_cstr(&f[idx++ % MAX_FIELDS]);

  sgw_cos_sign_t req = {
      .secret_id = id,
      .secret_key = SECRET_KEY,
      .method = method,
      .path = (flags & 1) ? NULL : f[1].p,
      .path_len = (flags & 1) ? 0 : f[1].len,
      .start = start,
      .end = (flags & 2) ? start - 1 : end,
      .headers = nh ? headers : NULL,
      .nheaders = nh,
      .params = np ? params : NULL,
      .nparams = np,
  };
  sgw_buf_init(&out);
  rc = sgw_cos_authorization((flags & 16) ? NULL : signer, &req, &out);
  if (rc == 0)
    CHECK(out.len > 0 && strlen(out.base) == out.len);
  no_secret(out.base, out.len);
  sgw_buf_free(&out);

  sgw_cos_policy_t pol = {
      .secret_id = id,
      .secret_key = SECRET_KEY,
      .bucket = bucket,
      .key = key,
      .start = start,
      .end = end,
      .min_size = min,
      .max_size = (flags & 4) ? max : 0,
      .security_token = (flags & 8) ? token : NULL,
      .extra_conditions = (const char *const *)cond,
      .nextra_conditions = ncond > 3 ? 3 : ncond,
  };
  memset(&res, 0, sizeof(res));
  rc = sgw_cos_post_policy((flags & 16) ? NULL : signer, &pol, &res);
  if (rc == 0) {
    CHECK(res.policy.len > 0 && res.policy_b64.len > 0);
    CHECK(strlen(res.signature) == 40);
  }
  no_secret(res.policy.base, res.policy.len);
  no_secret(res.policy_b64.base, res.policy_b64.len);
  no_secret(res.key_time, strnlen(res.key_time, sizeof(res.key_time)));
  no_secret(res.signature, strnlen(res.signature, sizeof(res.signature)));
  sgw_cos_policy_result_free(&res);

  free(method);
  free(id);
  free(bucket);
  free(key);
  free(token);
  for (unsigned i = 0; i < 3; i++)
    free(cond[i]);
  return 0;
}
