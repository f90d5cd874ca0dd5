/* libFuzzer target: any bytes into the verifiers and the JSON parser.
 * Nothing may crash, leak or read out of bounds, every answer must be 0,
 * a known refusal or a negative error code, and an accepted form must
 * give a length range. The input is cut into fields ('\n'): the first
 * byte picks what is fed.
 *   request  method, path, raw query, header pairs (one of them may be
 *            an Authorization made of fields), the time
 *   form     form fields; the policy field is the base64 of a field, and
 *            its q-signature is computed here with the secret, so the
 *            policy text reaches the JSON parser and the conditions
 *   json     the whole input, at a depth limit from the second byte */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fields.h"
#include "signgw/buf.h"
#include "signgw/cos_verify.h"
#include "signgw/crypto.h"
#include "signgw/json.h"
#include "signgw/signer.h"

#define MAX_FIELDS 48
#define MAX_KV 16

/* The one id the lookup knows (the seed corpus uses it). */
#define ID "AKIDfuzz"
#define KEY "fuzzSecretKey"

static sgw_signer_t *signer;
static int need_token;

static int lookup(void *arg, const char *id, size_t len,
                  sgw_cos_secret_t *out) {
  (void)arg;
  if (len != strlen(ID) || memcmp(id, ID, len) != 0)
    return -1;
  out->secret_key = KEY;
  out->security_token = need_token ? "tok" : NULL;
  return 0;
}

/* A time: the field's bytes as an unsigned number (seeds hold real ones). */
static int64_t when(const field_t *f) {
  return fuzz_num(f) + (1LL << 61);
}

static void check_reason(int rc) {
  CHECK(rc <= SGW_COS_DENY_TOO_LARGE);
  CHECK(sgw_cos_deny_code(rc) != NULL && sgw_cos_deny_message(rc) != NULL);
}

static void fuzz_request(field_t *f, size_t nf, unsigned flags) {
  sgw_kv_t h[MAX_KV];
  size_t nh = 0, i = 4;
  char *method = malloc(f[0].len + 2);

  CHECK(method != NULL);
  memcpy(method, f[0].p, f[0].len);
  method[f[0].len] = '\0';
  if (method[0] == '\0')
    strcpy(method, "g");
  while (i + 1 < nf && nh < MAX_KV) {
    h[nh++] = (sgw_kv_t){f[i].p, f[i].len, f[i + 1].p, f[i + 1].len};
    i += 2;
  }
  need_token = flags & 1;
  sgw_cos_request_t r = {method, f[1].p, f[1].len, f[2].p, f[2].len, h, nh,
                         when(&f[3]), lookup, NULL};
  check_reason(sgw_cos_verify_request((flags & 2) ? NULL : signer, &r));
  free(method);
}

/* hex(HMAC-SHA1(hex(HMAC-SHA1(KEY, kt)), hex(SHA1(policy)))) */
static void sign_policy(const char *kt, size_t ktlen, const char *policy,
                        size_t len, char sig[41]) {
  unsigned char md[SGW_SHA1_LEN];
  char sign_key[41], hash[41];

  CHECK(sgw_hmac_sha1(KEY, strlen(KEY), kt, ktlen, md) == 0);
  sgw_hex_encode(md, sizeof(md), sign_key);
  CHECK(sgw_sha1(policy, len, md) == 0);
  sgw_hex_encode(md, sizeof(md), hash);
  CHECK(sgw_hmac_sha1(sign_key, 40, hash, 40, md) == 0);
  sgw_hex_encode(md, sizeof(md), sig);
}

static void fuzz_form(field_t *f, size_t nf, unsigned flags) {
  sgw_kv_t fields[MAX_KV + 6];
  sgw_cos_length_range_t range;
  size_t n = 0, b64len;
  char sig[41], *b64;
  int rc;

  /* f[0]: the policy text; f[1]: q-key-time; f[2]: bucket; f[3]: now. */
  b64 = malloc(SGW_BASE64_LEN(f[0].len) + 1);
  CHECK(b64 != NULL);
  sgw_base64_encode((const unsigned char *)f[0].p, f[0].len, b64, &b64len, 0);
  sign_policy(f[1].p, f[1].len, f[0].p, f[0].len, sig);
  if (flags & 4)
    fields[n++] = (sgw_kv_t){"policy", 6, b64, b64len};
  if (flags & 8) {
    fields[n++] = (sgw_kv_t){"q-sign-algorithm", 16, "sha1", 4};
    fields[n++] = (sgw_kv_t){"q-ak", 4, ID, strlen(ID)};
    fields[n++] = (sgw_kv_t){"q-key-time", 10, f[1].p, f[1].len};
    fields[n++] = (sgw_kv_t){"q-signature", 11, sig, 40};
  }
  for (size_t i = 4; i + 1 < nf && n < sizeof(fields) / sizeof(fields[0]);
       i += 2)
    fields[n++] = (sgw_kv_t){f[i].p, f[i].len, f[i + 1].p, f[i + 1].len};
  need_token = flags & 1;
  {
    /* The bucket is a C string. */
    char *bucket = malloc(f[2].len + 1);
    CHECK(bucket != NULL);
    memcpy(bucket, f[2].p, f[2].len);
    bucket[f[2].len] = '\0';
    sgw_cos_form_t form = {bucket, fields, n, when(&f[3]), lookup, NULL};
    rc = sgw_cos_verify_post((flags & 2) ? NULL : signer, &form, &range);
    check_reason(rc);
    if (rc == 0) {
      CHECK(range.min >= 0 && range.max >= 0);
      check_reason(sgw_cos_verify_post_length(&range, when(&f[3])));
    }
    free(bucket);
  }
  free(b64);
}

static void fuzz_json(const uint8_t *data, size_t size, unsigned depth) {
  sgw_json_doc_t doc;
  int rc = sgw_json_parse(&doc, (const char *)data, size, depth);

  CHECK(rc == 0 || rc == -1 /* SGW_ENOMEM */ || rc == -2 /* SGW_EINVAL */);
  CHECK((rc == 0) == (doc.root != NULL));
  /* Walk it: every string is NUL-terminated at its length. */
  if (rc == 0) {
    const sgw_json_t *stack[64];
    size_t sp = 0;
    stack[sp++] = doc.root;
    while (sp > 0) {
      const sgw_json_t *v = stack[--sp];
      if (v->type == SGW_JSON_STRING || v->type == SGW_JSON_NUMBER)
        CHECK(v->str[v->len] == '\0');
      for (const sgw_json_t *c = v->child; c != NULL; c = c->next) {
        if (c->name)
          CHECK(c->name[c->name_len] == '\0');
        if (sp < 64)
          stack[sp++] = c;
      }
    }
  }
  sgw_json_doc_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const field_t empty = {"", 0};
  field_t f[MAX_FIELDS];
  size_t nf;
  unsigned flags;

  if (size < 2)
    return 0;
  if (signer == NULL && sgw_signer_new(&signer) < 0)
    abort();
  flags = data[1];
  nf = fuzz_split(data + 2, size - 2, f, MAX_FIELDS);
  for (size_t i = nf; i < MAX_FIELDS; i++)
    f[i] = empty;
  switch (data[0] % 3) {
  case 0:
    fuzz_request(f, nf, flags);
    break;
  case 1:
    fuzz_form(f, nf, flags);
    break;
  default:
    fuzz_json(data + 2, size - 2, flags % 40);
  }
  return 0;
}
