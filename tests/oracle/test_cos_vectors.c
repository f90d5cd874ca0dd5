/* Replays vectors.json (signed by the official SDK and by the Node policy
 * reference, see gen_vectors.js) against cos.c byte for byte, then checks
 * the error paths the vectors cannot express. Every request vector is also
 * verified (sgw_cos_verify_request) as the request that would carry it
 * arrives, and each single change to it (method, path, a header, a
 * parameter, the time, the key id, the key) must be refused for the right
 * reason. Presigned URL vectors (the SDK's getObjectUrl) must come out the
 * same from sgw_cos_presign_url and verify from their query string.
 * The request and policy vectors run three times:
 * through one signer in file order and again in reverse order (its kept
 * SignKey is reused within a key time and replaced across them), and with
 * a one-off signer per call.
 *
 *   test_cos_vectors path/to/vectors.json
 *
 * Prints every failure and a final "N passed, N failed"; exits 1 on any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cos_json.h"
#include "oracle.h"
#include "signgw/cos_verify.h"
#include "signgw/error.h"
#include "signgw/url.h"

/* The signer the current pass uses (NULL: one-off signers). */
static sgw_signer_t *signer;
/* Whether this pass also verifies the request vectors. */
static int verifying;

/* The SecretKey must never reach any output. */
static int leaks(const sgw_buf_t *b, const char *secret) {
  size_t n = strlen(secret);
  for (size_t i = 0; b->base && i + n <= b->len; i++)
    if (memcmp(b->base + i, secret, n) == 0) return 1;
  return 0;
}

static void check_str(const char *name, const char *what, const char *got,
                      size_t got_len, const char *want) {
  int ok = want && got && strlen(want) == got_len &&
           memcmp(got, want, got_len) == 0;
  CHECK(ok, "[%s] %s\n   got: %.*s\n  want: %s", name, what, (int)got_len,
        got ? got : "(null)", want ? want : "(missing)");
}

/* ---- verification of the SDK's signatures ------------------------------ */

typedef struct arrived_s {
  sgw_cos_request_t r;
  sgw_kv_t *headers;      /* the vector's, then Authorization */
  size_t nheaders;
  sgw_buf_t query;
  sgw_buf_t path;
  const char *secret_key;
  const char *secret_id;
  const char *header_list; /* inside the vector's authorization */
  size_t header_list_len;
} arrived_t;

static int vec_lookup(void *arg, const char *id, size_t len,
                      sgw_cos_secret_t *out) {
  const arrived_t *a = arg;
  if (len != strlen(a->secret_id) || memcmp(id, a->secret_id, len) != 0)
    return -1;
  out->secret_key = a->secret_key;
  out->security_token = NULL;
  return 0;
}

/* A request as it would arrive: the path the SDK signed, the query
 * encoded, the vector's headers (less any Authorization of its own) and
 * the vector's signature in the Authorization header. */
static int arrive(const cJSON *v, const oracle_sign_t *s, arrived_t *a) {
  const char *auth = oracle_str(v, "authorization"), *hl;
  int rc = 0;

  memset(a, 0, sizeof(*a));
  sgw_buf_init(&a->query);
  sgw_buf_init(&a->path);
  if (auth == NULL ||
      (a->headers = calloc(s->req.nheaders + 1, sizeof(sgw_kv_t))) == NULL)
    return -1;
  for (size_t i = 0; i < s->req.nheaders; i++)
    if (strcasecmp(s->req.headers[i].name, "authorization") != 0)
      a->headers[a->nheaders++] = s->req.headers[i];
  a->headers[a->nheaders++] =
      (sgw_kv_t){"Authorization", 13, auth, strlen(auth)};
  for (size_t i = 0; rc == 0 && i < s->req.nparams; i++) {
    const sgw_kv_t *p = &s->req.params[i];
    if (i) rc = sgw_buf_appendc(&a->query, '&');
    if (rc == 0) rc = sgw_url_encode(&a->query, p->name, p->name_len);
    if (rc == 0) rc = sgw_buf_appendc(&a->query, '=');
    if (rc == 0) rc = sgw_url_encode(&a->query, p->value, p->value_len);
  }
  if (rc == 0 && (s->req.path_len == 0 || s->req.path[0] != '/'))
    rc = sgw_buf_appendc(&a->path, '/');
  if (rc == 0) rc = sgw_buf_append(&a->path, s->req.path, s->req.path_len);
  if (rc < 0) return -1;
  hl = strstr(auth, "q-header-list=") + 14;
  a->header_list = hl;
  a->header_list_len = strcspn(hl, "&");
  a->secret_id = s->req.secret_id;
  a->secret_key = s->req.secret_key;
  a->r = (sgw_cos_request_t){s->req.method, a->path.base, a->path.len,
                             a->query.base ? a->query.base : "",
                             a->query.len, a->headers, a->nheaders,
                             s->req.start, vec_lookup, a};
  return 0;
}

static void arrived_free(arrived_t *a) {
  free(a->headers);
  sgw_buf_free(&a->query);
  sgw_buf_free(&a->path);
}

/* Whether the header's lower(cam-safe(name)) is in the signed list. */
static int header_listed(const arrived_t *a, const sgw_kv_t *h) {
  sgw_buf_t enc;
  const char *p = a->header_list, *end = p + a->header_list_len;
  int found = 0;

  sgw_buf_init(&enc);
  if (sgw_url_encode(&enc, h->name, h->name_len) < 0 || enc.base == NULL) {
    sgw_buf_free(&enc);
    return 0;
  }
  for (size_t i = 0; i < enc.len; i++)
    if (enc.base[i] >= 'A' && enc.base[i] <= 'Z') enc.base[i] += 'a' - 'A';
  while (p <= end && !found) {
    size_t n = strcspn(p, ";&");
    if (p + n > end) n = (size_t)(end - p);
    found = n == enc.len && memcmp(p, enc.base, n) == 0;
    p += n + 1;
  }
  sgw_buf_free(&enc);
  return found;
}

static int verify_rc(arrived_t *a) {
  return sgw_cos_verify_request(signer, &a->r);
}

static void run_verify_vector(const cJSON *v, const oracle_sign_t *s) {
  const char *name = oracle_str(v, "name");
  arrived_t a;
  sgw_buf_t b;
  int rc;

  if (arrive(v, s, &a) < 0) {
    CHECK(0, "[%s] cannot build the request", name);
    arrived_free(&a);
    return;
  }
  rc = verify_rc(&a);
  CHECK(rc == 0, "[%s] the SDK's signature verifies: %d", name, rc);

  sgw_buf_init(&b);
  /* method */
  sgw_buf_appends(&b, "x");
  sgw_buf_appends(&b, s->req.method);
  a.r.method = b.base;
  CHECK(verify_rc(&a) == SGW_COS_DENY_SIGNATURE, "[%s] other method", name);
  a.r.method = s->req.method;
  /* path */
  sgw_buf_reset(&b);
  sgw_buf_append(&b, a.path.base, a.path.len);
  sgw_buf_appendc(&b, 'x');
  a.r.path = b.base;
  a.r.path_len = b.len;
  CHECK(verify_rc(&a) == SGW_COS_DENY_SIGNATURE, "[%s] other path", name);
  a.r.path = a.path.base;
  a.r.path_len = a.path.len;
  /* time */
  a.r.now = s->req.end + 1;
  CHECK(verify_rc(&a) == SGW_COS_DENY_EXPIRED, "[%s] after the end", name);
  a.r.now = s->req.start - 1;
  CHECK(verify_rc(&a) == SGW_COS_DENY_NOT_YET, "[%s] before the start", name);
  a.r.now = s->req.end;
  CHECK(verify_rc(&a) == 0, "[%s] at the end", name);
  a.r.now = s->req.start;
  /* key id, key */
  a.secret_id = "AKIDsomeoneElse";
  CHECK(verify_rc(&a) == SGW_COS_DENY_UNKNOWN_ID, "[%s] unknown id", name);
  a.secret_id = s->req.secret_id;
  a.secret_key = "anotherSecretKey";
  CHECK(verify_rc(&a) == SGW_COS_DENY_SIGNATURE, "[%s] other key", name);
  a.secret_key = s->req.secret_key;
  /* each header: changed, then gone; only the signed ones matter */
  for (size_t i = 0; i + 1 < a.nheaders; i++) {
    sgw_kv_t saved = a.headers[i];
    int listed = header_listed(&a, &saved);
    sgw_buf_reset(&b);
    sgw_buf_append(&b, saved.value, saved.value_len);
    sgw_buf_appendc(&b, 'x');
    a.headers[i].value = b.base;
    a.headers[i].value_len = b.len;
    rc = verify_rc(&a);
    CHECK(rc == (listed ? SGW_COS_DENY_SIGNATURE : 0),
          "[%s] header %s changed (%s): %d", name, saved.name,
          listed ? "signed" : "not signed", rc);
    a.headers[i] = a.headers[a.nheaders - 1];
    a.r.nheaders = a.nheaders - 1;
    rc = verify_rc(&a);
    CHECK(rc == (listed ? SGW_COS_DENY_HEADER_LIST : 0),
          "[%s] header %s gone: %d", name, saved.name, rc);
    a.headers[a.nheaders - 1] = a.headers[i];
    a.headers[i] = saved;
    a.r.nheaders = a.nheaders;
  }
  /* each parameter: changed, then gone (all are signed) */
  for (size_t i = 0; i < s->req.nparams; i++) {
    sgw_buf_t q;
    int rc2 = 0;
    sgw_buf_init(&q);
    for (int pass = 0; pass < 2; pass++) {
      sgw_buf_reset(&q);
      for (size_t j = 0, k = 0; rc2 == 0 && j < s->req.nparams; j++) {
        const sgw_kv_t *p = &s->req.params[j];
        if (j == i && pass == 1) continue;
        if (k++) rc2 = sgw_buf_appendc(&q, '&');
        if (rc2 == 0) rc2 = sgw_url_encode(&q, p->name, p->name_len);
        if (rc2 == 0) rc2 = sgw_buf_appendc(&q, '=');
        if (rc2 == 0) rc2 = sgw_url_encode(&q, p->value, p->value_len);
        if (rc2 == 0 && j == i) rc2 = sgw_buf_appends(&q, "x");
      }
      a.r.query = q.base ? q.base : "";
      a.r.query_len = q.len;
      rc = verify_rc(&a);
      CHECK(rc == (pass ? SGW_COS_DENY_PARAM_LIST : SGW_COS_DENY_SIGNATURE),
            "[%s] param %zu %s: %d", name, i, pass ? "gone" : "changed", rc);
    }
    sgw_buf_free(&q);
    a.r.query = a.query.base ? a.query.base : "";
    a.r.query_len = a.query.len;
  }
  sgw_buf_free(&b);
  arrived_free(&a);
}

/* ---- presigned URLs (the SDK's getObjectUrl) ---------------------------- */

static const char *presign_token;

static int presign_lookup(void *arg, const char *id, size_t len,
                          sgw_cos_secret_t *out) {
  const sgw_cos_presign_t *p = arg;
  if (len != strlen(p->secret_id) || memcmp(id, p->secret_id, len) != 0)
    return -1;
  out->secret_key = p->secret_key;
  out->security_token = presign_token;
  return 0;
}

static void run_presign_vector(const cJSON *v) {
  const char *name = oracle_str(v, "name"), *want = oracle_str(v, "url");
  const char *err = "";
  sgw_cos_presign_t p;
  sgw_kv_t *arrived = NULL;
  size_t na = 0;
  sgw_buf_t url, path;
  const char *q, *slash;
  int host = 0, rc;

  sgw_buf_init(&url);
  sgw_buf_init(&path);
  if (oracle_presign_from_json(v, &p, &err) < 0 || want == NULL ||
      (arrived = calloc(p.nheaders + 1, sizeof(*arrived))) == NULL) {
    CHECK(0, "[%s] bad presign vector: %s", name ? name : "?", err);
    goto done;
  }
  rc = sgw_cos_presign_url(signer, &p, &url);
  CHECK(rc == 0, "[%s] sgw_cos_presign_url returned %d", name, rc);
  if (rc != 0) goto done;
  check_str(name, "presigned URL", url.base, url.len, want);
  CHECK(strstr(url.base, p.secret_key) == NULL, "[%s] secret key in URL", name);

  /* The SDK's URL as a request: the headers it signed, and Host. */
  for (size_t i = 0; i < p.nheaders; i++) {
    if (p.headers[i].value_len == 0) continue;
    host |= strcasecmp(p.headers[i].name, "host") == 0;
    arrived[na++] = p.headers[i];
  }
  if (!host) arrived[na++] = (sgw_kv_t){"Host", 4, p.host, strlen(p.host)};
  slash = strchr(want + strlen("https://"), '/');
  q = strchr(want, '?');
  if (!slash || !q || sgw_url_decode(&path, slash, (size_t)(q - slash), 0)) {
    CHECK(0, "[%s] cannot read the URL", name);
    goto done;
  }
  presign_token = p.security_token;
  {
    sgw_cos_request_t r = {p.method, path.base, path.len, q + 1, strlen(q + 1),
                           arrived, na, p.start, presign_lookup, &p};
    rc = sgw_cos_verify_request(signer, &r);
    CHECK(rc == 0, "[%s] the SDK's URL verifies: %d", name, rc);
    r.now = p.end + 1;
    CHECK(sgw_cos_verify_request(signer, &r) == SGW_COS_DENY_EXPIRED,
          "[%s] the URL expires", name);
    r.now = p.start;
    r.nheaders = na - 1; /* the last one is a signed header or Host */
    CHECK(sgw_cos_verify_request(signer, &r) == SGW_COS_DENY_HEADER_LIST,
          "[%s] a signed header is missing", name);
    r.nheaders = na;
    r.method = "delete";
    CHECK(sgw_cos_verify_request(signer, &r) == SGW_COS_DENY_SIGNATURE,
          "[%s] another method", name);
  }
  presign_token = NULL;

done:
  sgw_buf_free(&url);
  sgw_buf_free(&path);
  oracle_presign_free(&p);
  free(arrived);
}

static void run_auth_vector(const cJSON *v) {
  const char *name = oracle_str(v, "name"), *err = "";
  oracle_sign_t s;
  sgw_buf_t out;
  int rc;

  sgw_buf_init(&out);
  if (oracle_sign_from_json(v, &s, &err) < 0) {
    CHECK(0, "[%s] bad vector: %s", name, err);
    oracle_sign_free(&s);
    return;
  }
  rc = sgw_cos_authorization(signer, &s.req, &out);
  CHECK(rc == 0, "[%s] sgw_cos_authorization returned %d", name, rc);
  if (rc == 0) {
    check_str(name, "authorization", out.base, out.len,
              oracle_str(v, "authorization"));
    CHECK(!leaks(&out, s.req.secret_key), "[%s] secret key in output", name);
  }
  if (verifying)
    run_verify_vector(v, &s);
  sgw_buf_free(&out);
  oracle_sign_free(&s);
}

static void run_policy_vector(const cJSON *v) {
  const char *name = oracle_str(v, "name"), *err = "";
  oracle_policy_t p;
  sgw_cos_policy_result_t res;
  int rc;

  if (oracle_policy_from_json(v, &p, &err) < 0) {
    CHECK(0, "[%s] bad vector: %s", name, err);
    oracle_policy_free(&p);
    return;
  }
  rc = sgw_cos_post_policy(signer, &p.req, &res);
  CHECK(rc == 0, "[%s] sgw_cos_post_policy returned %d", name, rc);
  if (rc == 0) {
    check_str(name, "policy", res.policy.base, res.policy.len,
              oracle_str(v, "policy"));
    check_str(name, "policyB64", res.policy_b64.base, res.policy_b64.len,
              oracle_str(v, "policyB64"));
    check_str(name, "keyTime", res.key_time, strlen(res.key_time),
              oracle_str(v, "keyTime"));
    check_str(name, "signature", res.signature, strlen(res.signature),
              oracle_str(v, "signature"));
    CHECK(!leaks(&res.policy, p.req.secret_key) &&
              !leaks(&res.policy_b64, p.req.secret_key),
          "[%s] secret key in policy", name);
  }
  sgw_cos_policy_result_free(&res);
  oracle_policy_free(&p);
}

static int run_vectors(const char *path) {
  cJSON *root = oracle_load_json(path);
  const cJSON *v;
  int nauth = 0, npolicy = 0, npresign = 0;

  if (root == NULL) {
    printf("cannot read or parse %s\n", path);
    return -1;
  }
  if (sgw_signer_new(&signer) < 0) {
    printf("cannot make a signer\n");
    cJSON_Delete(root);
    return -1;
  }
  verifying = 1;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "auth")) {
    run_auth_vector(v);
    nauth++;
  }
  verifying = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "presign")) {
    run_presign_vector(v);
    npresign++;
  }
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "policy")) {
    run_policy_vector(v);
    npolicy++;
  }
  /* Reverse order, policies first, through the same signer. */
  for (int i = npolicy - 1; i >= 0; i--)
    run_policy_vector(cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "policy"), i));
  for (int i = nauth - 1; i >= 0; i--)
    run_auth_vector(cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "auth"), i));
  sgw_signer_free(signer);
  signer = NULL;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "auth"))
    run_auth_vector(v);
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "policy"))
    run_policy_vector(v);
  cJSON_Delete(root);
  /* An empty or truncated file must not pass quietly. */
  CHECK(nauth >= 40, "only %d auth vectors", nauth);
  CHECK(npolicy >= 10, "only %d policy vectors", npolicy);
  CHECK(npresign >= 10, "only %d presign vectors", npresign);
  return 0;
}

/* ------------------------------------------------------------------ */

static const char *const SECRET = "NegativeTestSecretKey-0123456789";

static sgw_cos_sign_t base_sign(void) {
  sgw_cos_sign_t r;
  memset(&r, 0, sizeof(r));
  r.secret_id = "AKIDnegative";
  r.secret_key = SECRET;
  r.method = "put";
  r.path = "/a.jpg";
  r.path_len = 6;
  r.start = 100;
  r.end = 200;
  return r;
}

static int auth_rc(const sgw_cos_sign_t *r) {
  sgw_buf_t out;
  int rc;
  sgw_buf_init(&out);
  rc = sgw_cos_authorization(NULL, r, &out);
  sgw_buf_free(&out);
  return rc;
}

static void test_auth_errors(void) {
  sgw_cos_sign_t r = base_sign();
  sgw_kv_t bad = {NULL, 3, "v", 1};

  CHECK(auth_rc(&r) == 0, "baseline request signs");
  CHECK(auth_rc(NULL) == SGW_EINVAL, "NULL request");
  r.secret_key = NULL;
  CHECK(auth_rc(&r) == SGW_EINVAL, "NULL secret key");
  r = base_sign(), r.secret_key = "";
  CHECK(auth_rc(&r) == SGW_EINVAL, "empty secret key");
  r = base_sign(), r.secret_id = NULL;
  CHECK(auth_rc(&r) == SGW_EINVAL, "NULL secret id");
  r = base_sign(), r.method = NULL;
  CHECK(auth_rc(&r) == SGW_EINVAL, "NULL method");
  r = base_sign(), r.path = NULL;
  CHECK(auth_rc(&r) == SGW_EINVAL, "NULL path with a length");
  r = base_sign(), r.end = r.start - 1;
  CHECK(auth_rc(&r) == SGW_EINVAL, "end < start");
  r = base_sign(), r.nheaders = 1;
  CHECK(auth_rc(&r) == SGW_EINVAL, "nheaders without headers");
  r = base_sign(), r.params = &bad, r.nparams = 1;
  CHECK(auth_rc(&r) == SGW_EINVAL, "NULL param name with a length");
  r = base_sign(), r.path = NULL, r.path_len = 0;
  CHECK(auth_rc(&r) == 0, "NULL path of length 0 signs \"/\"");
  {
    sgw_kv_t empty[] = {{NULL, 0, NULL, 0}, {"a", 1, NULL, 0}};
    r = base_sign(), r.params = empty, r.nparams = 2;
    CHECK(auth_rc(&r) == 0, "NULL name/value of length 0 are \"\"");
  }
}

static void test_auth_output(void) {
  sgw_cos_sign_t r = base_sign();
  sgw_kv_t h[] = {{"Content-Type", 12, SECRET, strlen(SECRET)},
                  {"x-cos-meta-s", 12, SECRET, strlen(SECRET)}};
  static const char want[] =
      "prefix:q-sign-algorithm=sha1&q-ak=AKIDnegative&q-sign-time=100;200&"
      "q-key-time=100;200&q-header-list=x-cos-meta-s&q-url-param-list=&"
      "q-signature=";
  sgw_buf_t out;
  char kt[48];

  r.headers = h;
  r.nheaders = 2;
  sgw_buf_init(&out);
  CHECK(sgw_buf_appends(&out, "prefix:") == 0, "buf works");
  CHECK(sgw_cos_authorization(NULL, &r, &out) == 0, "sign with headers");
  CHECK(out.len == strlen(want) + 40 &&
            strncmp(out.base, want, strlen(want)) == 0,
        "appends after existing content, drops content-type: %s", out.base);
  CHECK(!leaks(&out, SECRET), "secret key in output: %s", out.base);
  sgw_buf_free(&out);

  sgw_cos_key_time(-5, 1764388800, kt, sizeof(kt));
  CHECK(strcmp(kt, "-5;1764388800") == 0, "key time: %s", kt);
  sgw_cos_key_time(INT64_MIN, INT64_MAX, kt, sizeof(kt));
  CHECK(strcmp(kt, "-9223372036854775808;9223372036854775807") == 0,
        "key time extremes fit in 48 bytes: %s", kt);
}

static void test_host(void) {
  static const char *const bad[][2] = {
      {"a/b", "ap-beijing"}, {"", "ap-beijing"}, {"x y", "ap-beijing"},
      {"bucket-1250000000", ""}, {"bucket-1250000000", "ap/x"},
      {NULL, "ap-beijing"}, {"bucket", NULL}, {"b\xc3\xa9", "ap-beijing"},
      {"b@evil.com#", "ap-beijing"}};
  sgw_buf_t out;

  sgw_buf_init(&out);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = sgw_cos_host(bad[i][0], bad[i][1], &out);
    CHECK(rc == SGW_EINVAL && out.len == 0, "host(%s, %s) rejected: %d",
          bad[i][0] ? bad[i][0] : "NULL", bad[i][1] ? bad[i][1] : "NULL", rc);
  }
  CHECK(sgw_cos_host("examplebucket-1250000000", "ap-guangzhou", &out) == 0 &&
            strcmp(out.base, "examplebucket-1250000000.cos.ap-guangzhou."
                             "myqcloud.com") == 0,
        "host value: %s", out.base ? out.base : "(null)");
  sgw_buf_free(&out);
}

static sgw_cos_policy_t base_policy(void) {
  sgw_cos_policy_t p;
  memset(&p, 0, sizeof(p));
  p.secret_id = "AKIDnegative";
  p.secret_key = SECRET;
  p.bucket = "b-1250000000";
  p.key = "k.jpg";
  p.start = 100;
  p.end = 200;
  return p;
}

static int policy_rc(const sgw_cos_policy_t *p) {
  sgw_cos_policy_result_t res;
  int rc = sgw_cos_post_policy(NULL, p, &res);
  if (rc == 0)
    CHECK(!leaks(&res.policy, SECRET) && !leaks(&res.policy_b64, SECRET),
          "secret key in policy");
  sgw_cos_policy_result_free(&res);  /* also valid after an error */
  return rc;
}

static void test_policy_errors(void) {
  static const char *const ok_extra[] = {"{\"a\":\"b\"}"};
  static const char *const bad_extra[] = {"\"just a string\""};
  sgw_cos_policy_t p = base_policy();

  CHECK(policy_rc(&p) == 0, "baseline policy signs");
  CHECK(sgw_cos_post_policy(NULL, &p, NULL) == SGW_EINVAL, "NULL result");
  CHECK(policy_rc(NULL) == SGW_EINVAL, "NULL policy");
  p.secret_key = NULL;
  CHECK(policy_rc(&p) == SGW_EINVAL, "NULL secret key");
  p = base_policy(), p.secret_id = NULL;
  CHECK(policy_rc(&p) == SGW_EINVAL, "NULL secret id");
  p = base_policy(), p.bucket = NULL;
  CHECK(policy_rc(&p) == SGW_EINVAL, "NULL bucket");
  p = base_policy(), p.key = "";
  CHECK(policy_rc(&p) == SGW_EINVAL, "empty key");
  p = base_policy(), p.end = p.start - 1;
  CHECK(policy_rc(&p) == SGW_EINVAL, "end < start");
  p = base_policy(), p.min_size = 10, p.max_size = 5;
  CHECK(policy_rc(&p) == SGW_EINVAL, "min_size > max_size");
  p = base_policy(), p.min_size = -1, p.max_size = 5;
  CHECK(policy_rc(&p) == SGW_EINVAL, "negative min_size");
  p = base_policy(), p.max_size = INT64_C(9007199254740992);
  CHECK(policy_rc(&p) == SGW_ERANGE, "max_size beyond 2^53 - 1");
  p = base_policy(), p.end = INT64_C(8640000000001);
  CHECK(policy_rc(&p) == SGW_ERANGE, "end beyond JS Date range");
  p = base_policy(), p.key = "bad\xff utf-8";
  CHECK(policy_rc(&p) == SGW_EINVAL, "invalid UTF-8 key");
  p = base_policy(), p.nextra_conditions = 1;
  CHECK(policy_rc(&p) == SGW_EINVAL, "extra count without array");
  p = base_policy(), p.extra_conditions = bad_extra, p.nextra_conditions = 1;
  CHECK(policy_rc(&p) == SGW_EINVAL, "extra condition not object/array");
  p = base_policy(), p.extra_conditions = ok_extra, p.nextra_conditions = 1;
  CHECK(policy_rc(&p) == 0, "extra condition object");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s vectors.json\n", argv[0]);
    return 2;
  }
  if (run_vectors(argv[1]) < 0) oracle_failed++;
  test_auth_errors();
  test_auth_output();
  test_host();
  test_policy_errors();
  return oracle_report();
}
