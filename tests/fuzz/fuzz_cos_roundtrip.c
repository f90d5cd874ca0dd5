/* libFuzzer target: COS signing and verification together. Fields cut out
 * of the input are signed three ways (an Authorization header, a
 * presigned URL, a POST policy); the request or form that would carry the
 * signature must verify, and one change to it, chosen by the input (the
 * method, the path or key, a signed header, a parameter, the time, the key
 * id, the secret key, the token, the bucket, a repeated form field), must
 * be refused. A change that COS does not sign (an unsigned header) must
 * still verify. Any other outcome aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_fields.h"
#include "signgw/buf.h"
#include "signgw/cos.h"
#include "signgw/cos_verify.h"
#include "signgw/signer.h"
#include "signgw/url.h"

#define MAX_FIELDS 64
#define MAX_KV 10

static sgw_signer_t *signer;

/* What lookup() knows: one id with its key and token. */
static const char *known_id, *known_key, *known_token;

static int lookup(void *arg, const char *id, size_t len,
                  sgw_cos_secret_t *out) {
  (void)arg;
  if (len != strlen(known_id) || memcmp(id, known_id, len) != 0)
    return -1;
  out->secret_key = known_key;
  out->security_token = known_token;
  return 0;
}

/* A C string from a field: NULs become 'z' (C strings cannot hold one),
 * empty becomes `def`. */
static char *cstr(const field_t *f, const char *def) {
  size_t n = f->len ? f->len : strlen(def);
  char *s = malloc(n + 1);
  CHECK(s != NULL);
  memcpy(s, f->len ? f->p : def, n);
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\0')
      s[i] = 'z';
  s[n] = '\0';
  return s;
}

/* Letters and digits only (an id must fit q-ak as it is sent). */
static char *alnum(const field_t *f, const char *prefix) {
  static const char abc[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t pl = strlen(prefix), n = f->len > 40 ? 40 : f->len;
  char *s = malloc(pl + n + 1);
  CHECK(s != NULL);
  memcpy(s, prefix, pl);
  for (size_t i = 0; i < n; i++)
    s[pl + i] = abc[(unsigned char)f->p[i] % (sizeof(abc) - 1)];
  s[pl + n] = '\0';
  return s;
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int eq_ci(const char *a, size_t alen, const char *z) {
  size_t n = strlen(z);
  if (alen != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != z[i])
      return 0;
  return 1;
}

/* Whether lower(name) contains needle. */
static int contains_ci(const sgw_kv_t *h, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= h->name_len; i++) {
    size_t j = 0;
    while (j < n && lower(h->name[i + j]) == needle[j])
      j++;
    if (j == n)
      return 1;
  }
  return 0;
}

/* The rule of cos.h, restated: the headers COS signs. */
static int signable(const sgw_kv_t *h) {
  static const char *const fixed[] = {
      "content-disposition", "content-encoding", "content-length",
      "content-md5", "expect", "expires", "host", "if-match",
      "if-modified-since", "if-none-match", "if-unmodified-since",
      "origin", "range", "transfer-encoding", "pic-operations"};
  if (contains_ci(h, "x-cos-") || contains_ci(h, "x-ci-"))
    return 1;
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    if (eq_ci(h->name, h->name_len, fixed[i]))
      return 1;
  return 0;
}

static void append_query(sgw_buf_t *q, const sgw_kv_t *p, size_t n,
                         size_t skip, const char *changed_at, size_t which) {
  for (size_t i = 0, k = 0; i < n; i++) {
    if (i == skip)
      continue;
    if (k++)
      CHECK(sgw_buf_appendc(q, '&') == 0);
    CHECK(sgw_url_encode(q, p[i].name, p[i].name_len) == 0);
    CHECK(sgw_buf_appendc(q, '=') == 0);
    CHECK(sgw_url_encode(q, p[i].value, p[i].value_len) == 0);
    if (changed_at && i == which)
      CHECK(sgw_buf_appends(q, changed_at) == 0);
  }
  CHECK(sgw_buf_reserve(q, 0) == 0);
}

typedef struct input_s {
  field_t f[MAX_FIELDS];
  size_t nf, idx;
  unsigned choice;
  sgw_kv_t headers[MAX_KV], params[MAX_KV];
  size_t nh, np;
  int64_t start, end, now;
} input_t;

static const field_t *next(input_t *in) {
  return &in->f[in->idx++ % MAX_FIELDS];
}

static int verify_rc(sgw_cos_request_t *r) {
  int rc = sgw_cos_verify_request(signer, r);
  CHECK(rc >= 0 && rc <= SGW_COS_DENY_TOO_LARGE);
  return rc;
}

/* A copy of r with its method (path 0) or path changed: never signed. */
static void refuse_changed(sgw_cos_request_t r, int path) {
  sgw_buf_t b;

  sgw_buf_init(&b);
  CHECK(sgw_buf_append(&b, path ? r.path : r.method,
                       path ? r.path_len : strlen(r.method)) == 0 &&
        sgw_buf_appendc(&b, 'x') == 0);
  if (path) {
    r.path = b.base;
    r.path_len = b.len;
  } else {
    r.method = b.base;
  }
  CHECK(verify_rc(&r) == SGW_COS_DENY_SIGNATURE);
  sgw_buf_free(&b);
}

/* 1. Authorization header. */
static void roundtrip_header(input_t *in, const char *method) {
  sgw_buf_t auth, query, path, b;
  sgw_kv_t arrived[MAX_KV + 1];
  size_t na = 0;
  int rc;

  sgw_cos_sign_t s = {known_id, known_key, method, in->f[1].p, in->f[1].len,
                      in->start, in->end, in->headers, in->nh, in->params,
                      in->np};
  sgw_buf_init(&auth);
  sgw_buf_init(&query);
  sgw_buf_init(&path);
  sgw_buf_init(&b);
  CHECK(sgw_cos_authorization(signer, &s, &auth) == 0);
  for (size_t i = 0; i < in->nh; i++)
    if (!eq_ci(in->headers[i].name, in->headers[i].name_len, "authorization"))
      arrived[na++] = in->headers[i];
  arrived[na++] = (sgw_kv_t){"Authorization", 13, auth.base, auth.len};
  append_query(&query, in->params, in->np, (size_t)-1, NULL, 0);
  if (in->f[1].len == 0 || in->f[1].p[0] != '/')
    CHECK(sgw_buf_appendc(&path, '/') == 0);
  CHECK(sgw_buf_append(&path, in->f[1].p, in->f[1].len) == 0);

  sgw_cos_request_t r = {method, path.base, path.len, query.base, query.len,
                         arrived, na, in->now, lookup, NULL};
  CHECK(verify_rc(&r) == 0);

  switch (in->choice % 8) {
  case 0:
  case 1:
    refuse_changed(r, in->choice % 2);
    break;
  case 2:
    if (in->end < INT64_MAX) {
      r.now = in->end + 1;
      CHECK(verify_rc(&r) == SGW_COS_DENY_EXPIRED);
    }
    break;
  case 3:
    known_key = "another key";
    CHECK(verify_rc(&r) == SGW_COS_DENY_SIGNATURE);
    break;
  case 4:
    known_id = "AKIDother";
    CHECK(verify_rc(&r) == SGW_COS_DENY_UNKNOWN_ID);
    break;
  case 5: /* a header's value: refused exactly when COS signs it */
    if (na > 1) {
      size_t h = (in->choice / 8) % (na - 1);
      sgw_kv_t saved = arrived[h];
      CHECK(sgw_buf_append(&b, saved.value, saved.value_len) == 0 &&
            sgw_buf_appendc(&b, 'x') == 0);
      arrived[h].value = b.base;
      arrived[h].value_len = b.len;
      rc = verify_rc(&r);
      CHECK(signable(&saved) ? rc == SGW_COS_DENY_SIGNATURE : rc == 0);
      arrived[h] = arrived[na - 1];
      r.nheaders = na - 1;
      rc = verify_rc(&r);
      CHECK(signable(&saved) ? rc == SGW_COS_DENY_HEADER_LIST : rc == 0);
    }
    break;
  case 6: /* a parameter's value (all are signed), then the parameter */
    if (in->np > 0) {
      size_t p = (in->choice / 8) % in->np;
      append_query(&b, in->params, in->np, (size_t)-1, "x", p);
      r.query = b.base;
      r.query_len = b.len;
      CHECK(verify_rc(&r) == SGW_COS_DENY_SIGNATURE);
      sgw_buf_reset(&b);
      append_query(&b, in->params, in->np, p, NULL, 0);
      r.query = b.base;
      r.query_len = b.len;
      CHECK(verify_rc(&r) == SGW_COS_DENY_PARAM_LIST);
    }
    break;
  default:
    if (in->start > INT64_MIN) {
      r.now = in->start - 1;
      CHECK(verify_rc(&r) == SGW_COS_DENY_NOT_YET);
    }
  }
  sgw_buf_free(&auth);
  sgw_buf_free(&query);
  sgw_buf_free(&path);
  sgw_buf_free(&b);
}

/* 2. Presigned URL. */
static void roundtrip_presign(input_t *in, const char *method, char *host,
                              char *token) {
  sgw_kv_t hs[MAX_KV], arrived[MAX_KV + 1];
  size_t nhs = 0, na = 0;
  int has_host = 0;
  sgw_buf_t url, path, b;
  const char *q, *slash;

  /* An Authorization or a token header of their own would compete with
   * the URL's. */
  for (size_t i = 0; i < in->nh; i++)
    if (!eq_ci(in->headers[i].name, in->headers[i].name_len,
               "authorization") &&
        !eq_ci(in->headers[i].name, in->headers[i].name_len,
               "x-cos-security-token"))
      hs[nhs++] = in->headers[i];
  sgw_cos_presign_t p = {known_id, known_key, token, "https", host, method,
                         in->f[1].p, in->f[1].len, in->start, in->end,
                         hs, nhs, in->params, in->np};
  sgw_buf_init(&url);
  sgw_buf_init(&path);
  sgw_buf_init(&b);
  CHECK(sgw_cos_presign_url(signer, &p, &url) == 0);
  /* What the client sends: the non-empty headers, and Host. */
  for (size_t i = 0; i < nhs; i++) {
    if (hs[i].value_len == 0) /* not signed, not sent */
      continue;
    has_host |= eq_ci(hs[i].name, hs[i].name_len, "host");
    arrived[na++] = hs[i];
  }
  if (!has_host)
    arrived[na++] = (sgw_kv_t){"Host", 4, host, strlen(host)};
  slash = strchr(url.base + strlen("https://"), '/');
  q = strchr(url.base, '?');
  CHECK(slash != NULL && q != NULL && slash < q);
  CHECK(sgw_url_decode(&path, slash, (size_t)(q - slash), 0) == 0);
  sgw_cos_request_t r = {method, path.base, path.len, q + 1, strlen(q + 1),
                         arrived, na, in->now, lookup, NULL};
  known_token = token;
  CHECK(verify_rc(&r) == 0);
  switch (in->choice % 6) {
  case 0:
  case 1:
    refuse_changed(r, in->choice % 2);
    break;
  case 2: /* Host is always signed */
    for (size_t i = 0; i < na; i++) {
      if (!eq_ci(arrived[i].name, arrived[i].name_len, "host"))
        continue;
      sgw_buf_reset(&b);
      CHECK(sgw_buf_append(&b, arrived[i].value, arrived[i].value_len) == 0 &&
            sgw_buf_appendc(&b, 'x') == 0);
      arrived[i].value = b.base;
      arrived[i].value_len = b.len;
      break;
    }
    CHECK(verify_rc(&r) == SGW_COS_DENY_SIGNATURE);
    break;
  case 3:
    known_token = token ? "another token" : "a token";
    CHECK(verify_rc(&r) == SGW_COS_DENY_TOKEN);
    break;
  case 4:
    known_key = "another key";
    CHECK(verify_rc(&r) == SGW_COS_DENY_SIGNATURE);
    break;
  default:
    if (in->end < INT64_MAX) {
      r.now = in->end + 1;
      CHECK(verify_rc(&r) == SGW_COS_DENY_EXPIRED);
    }
  }
  known_token = NULL;
  sgw_buf_free(&url);
  sgw_buf_free(&path);
  sgw_buf_free(&b);
}

/* 3. POST policy and form. */
static void roundtrip_post(input_t *in, char *bucket, char *key, char *token) {
  sgw_cos_policy_t pol = {known_id, known_key, bucket, key, in->start, in->end,
                          0, 0, token, NULL, 0};
  sgw_cos_policy_result_t res;
  sgw_cos_length_range_t range;
  sgw_kv_t fields[MAX_KV + 8];
  size_t n = 0;
  int64_t max = fuzz_num(next(in)) & ((1LL << 50) - 1);

  if (in->choice & 16) {
    pol.max_size = max;
    pol.min_size = max ? (fuzz_num(next(in)) & ((1LL << 50) - 1)) % (max + 1) : 0;
  }
  if (sgw_cos_post_policy(signer, &pol, &res) < 0) {
    sgw_cos_policy_result_free(&res); /* invalid UTF-8, out of JS range */
    return;
  }
  fields[n++] = (sgw_kv_t){"key", 3, key, strlen(key)};
  fields[n++] = (sgw_kv_t){"policy", 6, res.policy_b64.base,
                           res.policy_b64.len};
  fields[n++] = (sgw_kv_t){"q-sign-algorithm", 16, "sha1", 4};
  fields[n++] = (sgw_kv_t){"q-ak", 4, known_id, strlen(known_id)};
  fields[n++] = (sgw_kv_t){"q-key-time", 10, res.key_time,
                           strlen(res.key_time)};
  fields[n++] = (sgw_kv_t){"q-signature", 11, res.signature, 40};
  if (token)
    fields[n++] = (sgw_kv_t){"x-cos-security-token", 20, token,
                             strlen(token)};
  /* Other fields the form may carry, if their names are new. */
  for (size_t i = 0; i < in->nh; i++) {
    int dup = 0;
    for (size_t j = 0; j < n && !dup; j++)
      dup = in->headers[i].name_len == fields[j].name_len &&
            strncasecmp(in->headers[i].name, fields[j].name,
                        fields[j].name_len) == 0;
    /* A q-sign-time field would stand in for q-key-time. */
    if (!dup && !eq_ci(in->headers[i].name, in->headers[i].name_len,
                       "q-sign-time") &&
        memchr(in->headers[i].name, '\0', in->headers[i].name_len) == NULL)
      fields[n++] = in->headers[i];
  }
  sgw_cos_form_t f = {bucket, fields, n, in->now, lookup, NULL};
  known_token = token;
  CHECK(sgw_cos_verify_post(signer, &f, &range) == 0);
  if (pol.max_size > 0) {
    CHECK(sgw_cos_verify_post_length(&range, pol.min_size) == 0);
    CHECK(sgw_cos_verify_post_length(&range, pol.max_size) == 0);
    CHECK(sgw_cos_verify_post_length(&range, pol.min_size - 1) ==
          SGW_COS_DENY_TOO_SMALL);
    CHECK(sgw_cos_verify_post_length(&range, pol.max_size + 1) ==
          SGW_COS_DENY_TOO_LARGE);
  } else {
    CHECK(sgw_cos_verify_post_length(&range, max) == 0);
  }
  switch ((in->choice / 32) % 6) {
  case 0:
    fields[0].value = "another key";
    fields[0].value_len = strlen(fields[0].value);
    CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_CONDITION ||
          strcmp(key, "another key") == 0);
    break;
  case 1:
    f.bucket = "another-bucket-1250000000";
    CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_CONDITION ||
          strcmp(bucket, f.bucket) == 0);
    break;
  case 2:
    known_key = "another key";
    CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_SIGNATURE);
    break;
  case 3:
    known_token = token ? "another token" : "a token";
    CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_TOKEN);
    break;
  case 4:
    fields[n] = fields[0];
    fields[n].name = "KEY";
    f.nfields = n + 1;
    CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_FORM);
    break;
  default:
    if (in->end < INT64_MAX) {
      f.now = in->end + 1;
      CHECK(sgw_cos_verify_post(signer, &f, &range) == SGW_COS_DENY_EXPIRED);
    }
  }
  known_token = NULL;
  sgw_cos_policy_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const field_t empty = {"", 0};
  input_t in;
  char *method, *secret, *id, *host, *token, *bucket, *key;

  if (size < 4)
    return 0;
  if (signer == NULL && sgw_signer_new(&signer) < 0)
    abort();
  memset(&in, 0, sizeof(in));
  in.choice = (unsigned)data[2] | (unsigned)data[3] << 8;
  in.nf = fuzz_split(data + 4, size - 4, in.f, MAX_FIELDS);
  for (size_t i = in.nf; i < MAX_FIELDS; i++)
    in.f[i] = empty;
  in.idx = 2;
  method = cstr(next(&in), "get");
  secret = cstr(next(&in), "secret");
  id = alnum(next(&in), "AKID");
  host = alnum(next(&in), "h");
  token = (in.choice & 64) ? cstr(next(&in), "token") : NULL;
  bucket = cstr(next(&in), "b-1250000000");
  key = cstr(next(&in), "k");
  in.start = fuzz_num(next(&in)) / (1 << 20);
  in.end = in.start + (fuzz_num(next(&in)) & ((1LL << 42) - 1));
  in.now = in.start + (in.end > in.start
                           ? (int64_t)((uint64_t)fuzz_num(next(&in)) %
                                       (uint64_t)(in.end - in.start + 1))
                           : 0);
  known_id = id;
  known_key = secret;
  known_token = NULL;
  /* Header and parameter pairs. The presigned URL's q-* parameters (and
   * the token) would be taken for its signature: such names are left
   * out, as is a lone parameter named "" (the list cannot say it). */
  for (size_t i = 0; i < data[0] % MAX_KV; i++) {
    const field_t *n = next(&in), *v = next(&in);
    in.headers[in.nh++] = (sgw_kv_t){n->p, n->len, v->p, v->len};
  }
  for (size_t i = 0; i < data[1] % MAX_KV; i++) {
    const field_t *n = next(&in), *v = next(&in);
    if (n->len >= 2 && n->p[0] == 'q' && n->p[1] == '-')
      continue;
    if (n->len == 20 && memcmp(n->p, "x-cos-security-token", 20) == 0)
      continue;
    in.params[in.np++] = (sgw_kv_t){n->p, n->len, v->p, v->len};
  }
  if (in.np == 1 && in.params[0].name_len == 0)
    in.np = 0;

  switch (data[2] % 3) {
  case 0:
    roundtrip_header(&in, method);
    break;
  case 1:
    roundtrip_presign(&in, method, host, token);
    break;
  default:
    roundtrip_post(&in, bucket, key, token);
  }
  free(method);
  free(secret);
  free(id);
  free(host);
  free(token);
  free(bucket);
  free(key);
  return 0;
}
