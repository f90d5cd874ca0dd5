/* libFuzzer target: S3 SigV4 (src/sign/s3*.c) from fields cut out of the
 * input: endpoint parsing, presigned URLs, header-signed requests, POST
 * policies and bucket URLs, with one signing-key cache for the whole run
 * (as a worker keeps one) or none. Nothing may crash or leak, a success
 * gives well-formed text, and the secret never shows in any output. The
 * secret holds control bytes, which every output escapes or encodes: it
 * can only appear verbatim if it leaked. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fields.h"
#include "signgw/s3.h"

#define MAX_FIELDS 64
#define MAX_KV 10

static const char SECRET[] = "fuzz\x01S3\x02Secret\x03NeverLeaves";

static int input_has_secret;

static void no_secret(const char *p, size_t len) {
  if (!input_has_secret)
    fuzz_no_secret(p, len, SECRET, sizeof(SECRET) - 1);
}

static void well_formed(const sgw_buf_t *b) {
  CHECK(b->base != NULL && b->len > 0 && strlen(b->base) == b->len);
  no_secret(b->base, b->len);
}

static sgw_s3_key_cache_t cache;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  field_t f[MAX_FIELDS] = {{0}};
  static const field_t empty = {"", 0};
  sgw_kv_t headers[MAX_KV], query[MAX_KV];
  char *url, *region, *service, *id, *token, *bucket, *key, *method, *cond[3];
  size_t nh, nq, idx;
  unsigned flags;
  sgw_s3_endpoint_t ep;
  sgw_s3_signer_t s;
  sgw_buf_t out;
  int rc;

  if (size < 4)
    return 0;
  input_has_secret = memmem(data, size, SECRET, sizeof(SECRET) - 1) != NULL;
  nh = data[0] % MAX_KV;
  nq = data[1] % MAX_KV;
  flags = data[2] | (unsigned)data[3] << 8;
  for (size_t i = fuzz_split(data + 4, size - 4, f, MAX_FIELDS); i < MAX_FIELDS; i++)
    f[i] = empty;

  /* 0 endpoint, 1 region, 2 service, 3 access key id, 4 token, 5 bucket,
   * 6 key, 7 method, 8 date, 9 expires, then header and query pairs, then
   * conditions. */
  url = fuzz_cstr(&f[0]);
  region = fuzz_cstr(&f[1]);
  service = fuzz_cstr(&f[2]);
  id = fuzz_cstr(&f[3]);
  token = fuzz_cstr(&f[4]);
  bucket = fuzz_cstr(&f[5]);
  key = fuzz_cstr(&f[6]);
  method = fuzz_cstr(&f[7]);
  int64_t date = fuzz_num(&f[8]) % (1LL << 40);
  int64_t expires = fuzz_num(&f[9]) % (1 << 21);
  idx = 10;
  for (size_t i = 0; i < nh; i++, idx += 2)
    headers[i] = (sgw_kv_t){f[idx % MAX_FIELDS].p, f[idx % MAX_FIELDS].len,
                            f[(idx + 1) % MAX_FIELDS].p,
                            f[(idx + 1) % MAX_FIELDS].len};
  for (size_t i = 0; i < nq; i++, idx += 2)
    query[i] = (sgw_kv_t){f[idx % MAX_FIELDS].p, f[idx % MAX_FIELDS].len,
                          f[(idx + 1) % MAX_FIELDS].p,
                          f[(idx + 1) % MAX_FIELDS].len};
  for (unsigned i = 0; i < 3; i++)
    cond[i] = fuzz_cstr(&f[idx++ % MAX_FIELDS]);

  if ((flags & 1) ? sgw_s3_endpoint_parse(url, &ep) < 0
                  : sgw_s3_endpoint_default(region, &ep) < 0)
    CHECK(ep.host[0] == '\0'); /* a refusal leaves nothing usable */
  else
    CHECK(ep.host[0] != '\0' && strlen(ep.host) <= SGW_S3_HOST_MAX);

  memset(&s, 0, sizeof(s));
  s.access_key_id = id;
  s.secret_access_key = (flags & 2) ? SECRET : "";
  s.session_token = (flags & 4) ? token : NULL;
  s.region = region;
  s.service = (flags & 8) ? service : NULL;
  s.endpoint = &ep;
  s.force_path_style = (flags & 16) != 0;
  s.cache = (flags & 32) ? NULL : &cache;
  if (flags & 0x8000) { /* sometimes a valid signer, to get further */
    s.access_key_id = "AKIAFUZZFUZZFUZZ0001";
    s.secret_access_key = SECRET;
    s.region = "us-east-1";
  }

  sgw_s3_presign_t p = {
      .method = method, .bucket = (flags & 64) ? NULL : bucket,
      .key = (flags & 128) ? NULL : f[6].p, .key_len = (flags & 128) ? 0 : f[6].len,
      .date = date, .expires = expires,
      .headers = nh ? headers : NULL, .nheaders = nh,
      .query = nq ? query : NULL, .nquery = nq,
      .omit_content_sha256 = (flags & 256) != 0,
  };
  sgw_buf_init(&out);
  rc = sgw_s3_presign(&s, &p, &out);
  if (rc == 0) {
    well_formed(&out);
    CHECK(strncmp(out.base, "http", 4) == 0 && strstr(out.base, "X-Amz-Signature=") != NULL);
  }
  sgw_buf_free(&out);

  sgw_s3_request_t r = {
      .method = method, .bucket = p.bucket, .key = p.key, .key_len = p.key_len,
      .date = date, .headers = p.headers, .nheaders = nh, .query = p.query,
      .nquery = nq, .payload = f[9].p, .payload_len = f[9].len,
      .payload_hash = (flags & 512) ? (flags & 1024 ? "UNSIGNED-PAYLOAD" : token) : NULL,
  };
  sgw_s3_signed_t sr;
  rc = sgw_s3_sign_request(&s, &r, &sr);
  if (rc == 0) {
    well_formed(&sr.url);
    well_formed(&sr.authorization);
    CHECK(strlen(sr.content_sha256) > 0);
  }
  no_secret(sr.host, strnlen(sr.host, sizeof(sr.host)));
  sgw_s3_signed_free(&sr);

  sgw_s3_post_t post = {
      .bucket = bucket, .key = key, .date = date, .expires = expires,
      .fields = nh ? headers : NULL, .nfields = nh,
      .conditions = (const char *const *)cond, .nconditions = data[0] % 4 > 3 ? 3 : data[0] % 4,
  };
  sgw_s3_post_result_t pr;
  rc = sgw_s3_post_policy(&s, &post, &pr);
  if (rc == 0) {
    well_formed(&pr.url);
    well_formed(&pr.policy);
    well_formed(&pr.policy_b64);
    CHECK(strlen(pr.signature) == 64);
  }
  no_secret(pr.credential, strnlen(pr.credential, sizeof(pr.credential)));
  sgw_s3_post_result_free(&pr);

  sgw_buf_init(&out);
  if (sgw_s3_bucket_url(&s, bucket, &out) == 0)
    well_formed(&out);
  sgw_buf_free(&out);

  /* Now and then the cache starts over, as after a reload. */
  if ((flags & 0x7000) == 0x7000)
    sgw_s3_key_cache_wipe(&cache);

  free(url);
  free(region);
  free(service);
  free(id);
  free(token);
  free(bucket);
  free(key);
  free(method);
  for (unsigned i = 0; i < 3; i++)
    free(cond[i]);
  return 0;
}
