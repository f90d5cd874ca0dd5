/* COS verification: the parts the official SDK cannot drive (oracle.* and
 * fuzz_cos_verify do that): how the Authorization and the POST form are
 * read, every refusal reason, and every POST policy condition both ways.
 *
 * Request signatures here come from sgw_cos_authorization (checked
 * against the SDK in oracle.*). POST policies are written out by hand and
 * signed by sign_policy() below straight from Tencent's documented
 * formula with the generic hash functions (RFC-tested in unit.crypto), so
 * a wrong condition check cannot hide behind a matching signature bug. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signgw/buf.h"
#include "signgw/cos.h"
#include "signgw/cos_verify.h"
#include "signgw/crypto.h"
#include "signgw/error.h"
#include "signgw/signer.h"
#include "test.h"

#define ID "AKIDverifyTest0001"
#define KEY "verifySecretKey-0123456789abcdef"
#define TOKEN "tok_en-0123456789.~"
#define T0 1700000000
#define T1 1700000900
#define KT "1700000000;1700000900"

static sgw_signer_t *signer;
/* What lookup() answers for ID (others are unknown). */
static const char *want_token;

static int lookup(void *arg, const char *id, size_t len,
                  sgw_cos_secret_t *out) {
  (void)arg;
  if (len != strlen(ID) || memcmp(id, ID, len) != 0)
    return -1;
  out->secret_key = KEY;
  out->security_token = want_token;
  return 0;
}

/* ---- requests ----------------------------------------------------------- */

#define KV(n, v) {n, sizeof(n) - 1, v, sizeof(v) - 1}

typedef struct req_s {
  sgw_kv_t headers[8];
  size_t nheaders;
  char auth[1024];
  sgw_cos_request_t r;
} req_t;

/* A PUT of /dir/a.jpg signed with host and x-cos-meta-a, and params
 * "uploads" and "x", sent with the Authorization header. */
static void make_req(req_t *q) {
  static const sgw_kv_t sign_headers[] = {
      KV("Host", "b-1250000000.cos.ap-beijing.myqcloud.com"),
      KV("x-cos-meta-a", "v a"), KV("Content-Type", "image/jpeg")};
  static const sgw_kv_t params[] = {KV("uploads", ""), KV("x", "1 2")};
  sgw_cos_sign_t s = {ID, KEY, "PUT", "/dir/a.jpg", 10, T0, T1,
                      sign_headers, 3, params, 2};
  sgw_buf_t out;

  memset(q, 0, sizeof(*q));
  sgw_buf_init(&out);
  if (sgw_cos_authorization(NULL, &s, &out) == 0)
    snprintf(q->auth, sizeof(q->auth), "%s", out.base);
  sgw_buf_free(&out);
  memcpy(q->headers, sign_headers, sizeof(sign_headers));
  q->headers[3] = (sgw_kv_t){"Authorization", 13, q->auth, strlen(q->auth)};
  q->nheaders = 4;
  q->r = (sgw_cos_request_t){"put", "/dir/a.jpg", 10, "x=1%202&uploads", 15,
                             q->headers, q->nheaders, T0 + 10, lookup, NULL};
}

static void set_query(req_t *q, const char *query) {
  q->r.query = query;
  q->r.query_len = strlen(query);
}

static int verify(req_t *q) {
  q->r.headers = q->headers;
  q->r.nheaders = q->nheaders;
  return sgw_cos_verify_request(signer, &q->r);
}

/* The Authorization with field `name` replaced by `value` (NULL: left
 * out), rebuilt in q->auth. */
static void set_auth_field(req_t *q, const char *name, const char *value) {
  char buf[1024], *p, *save = NULL;
  size_t n = 0, nl = strlen(name);

  buf[0] = '\0';
  for (p = strtok_r(q->auth, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
    const char *v = p;
    if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
      if (value == NULL)
        continue;
      n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%s",
                            n ? "&" : "", name, value);
      continue;
    }
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "&" : "", v);
  }
  snprintf(q->auth, sizeof(q->auth), "%s", buf);
  q->headers[3].value_len = strlen(q->auth);
}

static void test_request_ok(void) {
  req_t q;

  test_case("signed request verifies");
  make_req(&q);
  CHECK_EQ_INT(verify(&q), 0);
  test_case("unlisted headers and params are not looked at");
  make_req(&q);
  q.headers[4] = (sgw_kv_t)KV("x-cos-acl", "public-read");
  q.nheaders = 5;
  set_query(&q, "x=1%202&uploads&extra=1");
  CHECK_EQ_INT(verify(&q), 0);
  test_case("method case does not matter, header name case neither");
  make_req(&q);
  q.r.method = "Put";
  q.headers[1].name = "X-COS-META-A";
  CHECK_EQ_INT(verify(&q), 0);
  test_case("ends of the key time are inside it");
  make_req(&q);
  q.r.now = T0;
  CHECK_EQ_INT(verify(&q), 0);
  q.r.now = T1;
  CHECK_EQ_INT(verify(&q), 0);
  test_case("one-off signer");
  make_req(&q);
  CHECK_EQ_INT(sgw_cos_verify_request(NULL, &q.r), 0);
}

static void test_request_refused(void) {
  req_t q;

  test_case("no signature");
  make_req(&q);
  q.nheaders = 3;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MISSING);
  test_case("expired / not yet");
  make_req(&q);
  q.r.now = T1 + 1;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_EXPIRED);
  q.r.now = T0 - 1;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_NOT_YET);
  test_case("method, path, header value, param value");
  make_req(&q);
  q.r.method = "post";
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  q.r.path = "/dir/b.jpg";
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  q.headers[0].value = "other.cos.ap-beijing.myqcloud.com";
  q.headers[0].value_len = strlen(q.headers[0].value);
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  set_query(&q, "x=1%203&uploads");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  set_query(&q, "x=1+2&uploads"); /* '+' is not a space in a query */
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  test_case("a listed header or param that did not arrive");
  make_req(&q);
  q.headers[1] = q.headers[3];
  q.nheaders = 3;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_HEADER_LIST);
  make_req(&q);
  set_query(&q, "x=1%202");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_PARAM_LIST);
  test_case("a listed header that arrived twice");
  make_req(&q);
  q.headers[4] = q.headers[1];
  q.nheaders = 5;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_HEADER_LIST);
  make_req(&q);
  set_query(&q, "x=1%202&uploads&X=1%202");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_PARAM_LIST);
  test_case("key id, secret, algorithm, signature text");
  make_req(&q);
  set_auth_field(&q, "q-ak", "AKIDother");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_UNKNOWN_ID);
  make_req(&q);
  set_auth_field(&q, "q-sign-algorithm", "sha256");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_ALGORITHM);
  make_req(&q);
  set_auth_field(&q, "q-signature", "0000000000000000000000000000000000000000");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  {
    /* Upper-case hex is another text: refused, as anything not signed. */
    char *sig = strstr(q.auth, "q-signature=") + 12;
    for (char *c = sig; *c; c++)
      if (*c >= 'a' && *c <= 'f')
        *c = (char)(*c - 'a' + 'A');
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  }
  test_case("times");
  make_req(&q);
  set_auth_field(&q, "q-sign-time", "1700000000;1700000901");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  set_auth_field(&q, "q-key-time", "1700000000;1700000901");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_SIGNATURE);
  make_req(&q);
  set_auth_field(&q, "q-sign-time", "1700000000;1700000001");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_EXPIRED);
  make_req(&q);
  set_auth_field(&q, "q-key-time", "1700000100;1700000900");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_NOT_YET);
  test_case("malformed Authorization");
  {
    static const char *const bad[][2] = {
        {"q-ak", NULL},
        {"q-header-list", NULL},
        {"q-sign-time", "1700000000"},
        {"q-sign-time", "1700000900;1700000000"},
        {"q-key-time", "a;b"},
        {"q-key-time", "1700000000;99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      make_req(&q);
      set_auth_field(&q, bad[i][0], bad[i][1]);
      CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MALFORMED);
    }
    /* An empty entry names an empty name, which did not arrive. */
    make_req(&q);
    set_auth_field(&q, "q-header-list", "host;;x-cos-meta-a");
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_HEADER_LIST);
    make_req(&q);
    set_auth_field(&q, "q-url-param-list", "uploads;x;");
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_PARAM_LIST);
    make_req(&q);
    strcat(q.auth, "&q-ak=" ID);
    q.headers[3].value_len = strlen(q.auth);
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MALFORMED);
    make_req(&q);
    strcat(q.auth, "&q-extra=1");
    q.headers[3].value_len = strlen(q.auth);
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MALFORMED);
    make_req(&q);
    q.headers[4] = q.headers[3];
    q.nheaders = 5;
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MALFORMED);
    make_req(&q);
    set_query(&q, "x=%zz&uploads");
    CHECK_EQ_INT(verify(&q), SGW_COS_DENY_MALFORMED);
  }
  test_case("bad calls");
  make_req(&q);
  q.r.lookup = NULL;
  CHECK_EQ_INT(verify(&q), SGW_EINVAL);
  CHECK_EQ_INT(sgw_cos_verify_request(signer, NULL), SGW_EINVAL);
}

static void test_request_token(void) {
  req_t q;

  want_token = TOKEN;
  test_case("token required: missing, wrong, right, conflicting");
  make_req(&q);
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_TOKEN);
  q.headers[4] = (sgw_kv_t)KV("x-cos-security-token", TOKEN "x");
  q.nheaders = 5;
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_TOKEN);
  q.headers[4] = (sgw_kv_t)KV("X-Cos-Security-Token", TOKEN);
  CHECK_EQ_INT(verify(&q), 0);
  set_query(&q, "x=1%202&uploads&x-cos-security-token=other");
  CHECK_EQ_INT(verify(&q), SGW_COS_DENY_TOKEN);
  q.nheaders = 4;
  set_query(&q, "x=1%202&uploads&x-cos-security-token=" TOKEN);
  CHECK_EQ_INT(verify(&q), 0);
  want_token = NULL;
}

/* A presigned URL: the same fields in the query string. */
static void test_presigned(void) {
  static const sgw_kv_t params[] = {KV("response-content-type", "a/b"),
                                    KV("\xe4\xb8\xad", "v")};
  static const char key[] = "dir/\xe6\x96\x87 a+b.txt";
  static const char path[] = "/dir/\xe6\x96\x87 a+b.txt";
  sgw_cos_presign_t p = {ID, KEY, NULL, "http", "127.0.0.1:9000", "get",
                         key, sizeof(key) - 1, T0, T1, NULL, 0, params, 2};
  sgw_kv_t host = KV("Host", "127.0.0.1:9000");
  sgw_buf_t url;
  const char *q;
  sgw_cos_request_t r;

  sgw_buf_init(&url);
  test_case("presigned URL verifies from its query");
  CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), 0);
  q = url.base ? strchr(url.base, '?') : NULL;
  if (!CHECK(q != NULL)) {
    sgw_buf_free(&url);
    return;
  }
  /* The path as a server decodes it. */
  r = (sgw_cos_request_t){"GET", path, sizeof(path) - 1, q + 1,
                          strlen(q + 1), &host, 1, T0 + 1, lookup, NULL};
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
  test_case("presigned URL: the param-list is double-encoded in the URL");
  CHECK(strstr(url.base, "q-url-param-list=%25e4%25b8%25ad%3bresponse-"
                         "content-type&") != NULL);
  test_case("presigned URL: Host is signed");
  host.value = "127.0.0.1:9001";
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), SGW_COS_DENY_SIGNATURE);
  r.nheaders = 0;
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), SGW_COS_DENY_HEADER_LIST);
  test_case("presigned URL: a changed param");
  host.value = "127.0.0.1:9000";
  r.nheaders = 1;
  {
    char *copy = strdup(q + 1), *at = strstr(copy, "a%2Fb");
    if (CHECK(at != NULL)) {
      at[4] = 'c';
      r.query = copy;
      CHECK_EQ_INT(sgw_cos_verify_request(signer, &r),
                   SGW_COS_DENY_SIGNATURE);
    }
    free(copy);
  }
  test_case("presigned URL with a token");
  want_token = "a+b/c=";
  p.security_token = want_token;
  sgw_buf_reset(&url);
  CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), 0);
  q = strchr(url.base, '?');
  CHECK(strstr(url.base, "&x-cos-security-token=a%2Bb%2Fc%3D&") != NULL);
  r.query = q + 1;
  r.query_len = strlen(q + 1);
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
  want_token = NULL;
  test_case("presigned URL: an encoded header name in the list");
  {
    static const sgw_kv_t h[] = {KV("x-cos-meta-a!", "v")};
    sgw_kv_t arrived[] = {KV("Host", "127.0.0.1:9000"), KV("X-Cos-Meta-A!", "v")};
    char *copy, *at;
    p.security_token = NULL;
    p.headers = h;
    p.nheaders = 1;
    sgw_buf_reset(&url);
    CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), 0);
    CHECK(strstr(url.base, "&q-header-list=host;x-cos-meta-a%2521&") != NULL);
    q = strchr(url.base, '?');
    r.headers = arrived;
    r.nheaders = 2;
    r.query = q + 1;
    r.query_len = strlen(q + 1);
    CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
    /* The SDK's form: the list as it is, decoding to "x-cos-meta-a!". */
    copy = strdup(q + 1);
    at = strstr(copy, "%2521");
    memmove(at + 1, at + 3, strlen(at + 3) + 1);
    r.query = copy;
    r.query_len = strlen(copy);
    CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
    /* Named twice (both forms) is not once. */
    free(copy);
    copy = strdup(q + 1);
    at = strstr(copy, "x-cos-meta-a%2521");
    {
      sgw_buf_t twice;
      sgw_buf_init(&twice);
      sgw_buf_append(&twice, copy, (size_t)(at - copy));
      sgw_buf_appends(&twice, "x-cos-meta-a%2521;x-cos-meta-a!");
      sgw_buf_appends(&twice, at + strlen("x-cos-meta-a%2521"));
      r.query = twice.base;
      r.query_len = twice.len;
      CHECK_EQ_INT(sgw_cos_verify_request(signer, &r),
                   SGW_COS_DENY_HEADER_LIST);
      sgw_buf_free(&twice);
    }
    free(copy);
    p.headers = NULL;
    p.nheaders = 0;
  }
  test_case("presign refuses a bad call");
  p.host = "";
  CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), SGW_EINVAL);
  sgw_buf_free(&url);
}

/* Names that read as one another: "%ff" encodes to "%25ff", the byte
 * 0xff to "%ff"; "x-cos-meta-%" encodes to what "x-cos-meta-%25" is. A
 * list is read one way throughout, so each entry names one pair. */
static void test_lookalike_names(void) {
  static const sgw_kv_t params[] = {KV("%ff", "1"), KV("\xff", "2")};
  static const sgw_kv_t hdrs[] = {KV("Host", "127.0.0.1:9000")};
  sgw_cos_sign_t s = {ID, KEY, "GET", "/a", 2, T0, T1, hdrs, 1, params, 2};
  sgw_kv_t arrived[2] = {KV("Host", "127.0.0.1:9000")};
  sgw_cos_request_t r = {"GET", "/a", 2, "%25ff=1&%FF=2", 13,
                         arrived, 2, T0 + 1, lookup, NULL};
  sgw_buf_t auth, url;
  char *at;

  sgw_buf_init(&auth);
  sgw_buf_init(&url);
  test_case("Authorization: \"%ff\" and the byte 0xff are two parameters");
  CHECK_EQ_INT(sgw_cos_authorization(signer, &s, &auth), 0);
  arrived[1] = (sgw_kv_t){"Authorization", 13, auth.base, auth.len};
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
  r.query = "%25ff=2&%FF=1";
  CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), SGW_COS_DENY_SIGNATURE);

  test_case("presigned URL: the same two parameters");
  {
    sgw_cos_presign_t p = {ID, KEY, NULL, "http", "127.0.0.1:9000", "get",
                           "a", 1, T0, T1, NULL, 0, params, 2};
    CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), 0);
    r.query = strchr(url.base, '?') + 1;
    r.query_len = strlen(r.query);
    r.nheaders = 1;
    CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
  }

  test_case("presigned URL: a header list of lookalikes, either form");
  {
    static const sgw_kv_t h[] = {KV("x-cos-meta-%25", "a")};
    sgw_kv_t both[] = {KV("Host", "127.0.0.1:9000"),
                       KV("x-cos-meta-%", "b"), KV("x-cos-meta-%25", "a")};
    sgw_cos_presign_t p = {ID, KEY, NULL, "http", "127.0.0.1:9000", "get",
                           "a", 1, T0, T1, h, 1, NULL, 0};
    sgw_buf_reset(&url);
    CHECK_EQ_INT(sgw_cos_presign_url(signer, &p, &url), 0);
    r.query = strchr(url.base, '?') + 1;
    r.query_len = strlen(r.query);
    r.headers = both;
    r.nheaders = 3;
    CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
    /* The SDK's form: the list as it is, decoding to the encoded name,
     * which is also what "x-cos-meta-%" encodes to. */
    at = strstr(url.base, "x-cos-meta-%252525");
    if (CHECK(at != NULL)) {
      at += strlen("x-cos-meta-%25");
      memmove(at, at + 2, strlen(at + 2) + 1);
      r.query_len = strlen(r.query);
      CHECK_EQ_INT(sgw_cos_verify_request(signer, &r), 0);
      both[2].value = "c";
      CHECK_EQ_INT(sgw_cos_verify_request(signer, &r),
                   SGW_COS_DENY_SIGNATURE);
    }
  }
  sgw_buf_free(&auth);
  sgw_buf_free(&url);
}

/* ---- POST forms --------------------------------------------------------- */

/* hex(HMAC-SHA1(hex(HMAC-SHA1(key, kt)), hex(SHA1(policy)))) */
static void sign_policy(const char *key, const char *kt, const char *policy,
                        char sig[41]) {
  unsigned char md[SGW_SHA1_LEN];
  char sign_key[41], hash[41];

  sgw_hmac_sha1(key, strlen(key), kt, strlen(kt), md);
  sgw_hex_encode(md, sizeof(md), sign_key);
  sgw_sha1(policy, strlen(policy), md);
  sgw_hex_encode(md, sizeof(md), hash);
  sgw_hmac_sha1(sign_key, 40, hash, 40, md);
  sgw_hex_encode(md, sizeof(md), sig);
}

typedef struct form_s {
  char b64[4096];
  char sig[41];
  sgw_kv_t fields[12];
  size_t n;
  sgw_cos_form_t f;
  sgw_cos_length_range_t range;
} form_t;

/* A form for `conditions` (JSON array elements, comma-separated), with
 * the usual fields; `expiration` NULL means a day after T1. */
static void make_form(form_t *t, const char *expiration,
                      const char *conditions) {
  char policy[3000];
  size_t len;

  memset(t, 0, sizeof(*t));
  snprintf(policy, sizeof(policy), "{\"expiration\":\"%s\",\"conditions\":[%s]}",
           expiration ? expiration : "2023-11-15T22:28:20.000Z", conditions);
  sgw_base64_encode((const unsigned char *)policy, strlen(policy), t->b64,
                    &len, 0);
  sign_policy(KEY, KT, policy, t->sig);
  t->fields[t->n++] = (sgw_kv_t)KV("key", "uploads/a.jpg");
  t->fields[t->n++] = (sgw_kv_t)KV("success_action_status", "200");
  t->fields[t->n++] = (sgw_kv_t)KV("Content-Type", "image/jpeg");
  t->fields[t->n++] = (sgw_kv_t)KV("q-sign-algorithm", "sha1");
  t->fields[t->n++] = (sgw_kv_t)KV("q-ak", ID);
  t->fields[t->n++] = (sgw_kv_t)KV("q-key-time", KT);
  t->fields[t->n++] = (sgw_kv_t){"q-signature", 11, t->sig, 40};
  t->fields[t->n++] = (sgw_kv_t){"policy", 6, t->b64, len};
  t->f = (sgw_cos_form_t){"b-1250000000", t->fields, t->n, T0 + 10, lookup,
                          NULL};
}

static int verify_form(form_t *t) {
  t->f.fields = t->fields;
  t->f.nfields = t->n;
  return sgw_cos_verify_post(signer, &t->f, &t->range);
}

/* `cond` must hold for the usual form, `fails` (same shape) must not. */
static void both_ways(const char *name, const char *cond, const char *fails) {
  form_t t;

  test_case(name);
  make_form(&t, NULL, cond);
  CHECK_EQ_INT(verify_form(&t), 0);
  make_form(&t, NULL, fails);
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_CONDITION);
}

static void test_conditions(void) {
  both_ways("bucket", "{\"bucket\":\"b-1250000000\"}",
            "{\"bucket\":\"b-1250000001\"}");
  both_ways("key exact", "{\"key\":\"uploads/a.jpg\"}",
            "{\"key\":\"uploads/a.jpeg\"}");
  both_ways("eq $key", "[\"eq\",\"$key\",\"uploads/a.jpg\"]",
            "[\"eq\",\"$key\",\"uploads/a.jp\"]");
  both_ways("starts-with $key", "[\"starts-with\",\"$key\",\"uploads/\"]",
            "[\"starts-with\",\"$key\",\"upload/\"]");
  both_ways("starts-with the whole value",
            "[\"starts-with\",\"$key\",\"uploads/a.jpg\"]",
            "[\"starts-with\",\"$key\",\"uploads/a.jpgx\"]");
  both_ways("field names without case",
            "[\"starts-with\",\"$content-type\",\"image/\"]",
            "[\"starts-with\",\"$CONTENT-TYPE\",\"video/\"]");
  both_ways("other fields exact", "{\"success_action_status\":\"200\"}",
            "{\"success_action_status\":\"201\"}");
  both_ways("q-sign-algorithm", "{\"q-sign-algorithm\":\"sha1\"}",
            "{\"q-sign-algorithm\":\"sha256\"}");
  both_ways("q-ak", "{\"q-ak\":\"" ID "\"}", "{\"q-ak\":\"AKIDx\"}");
  both_ways("q-sign-time is q-key-time", "{\"q-sign-time\":\"" KT "\"}",
            "{\"q-sign-time\":\"1700000000;1700000901\"}");
  both_ways("an absent field is empty", "[\"starts-with\",\"$x-cos-meta-a\",\"\"]",
            "[\"eq\",\"$x-cos-meta-a\",\"v\"]");
  both_ways("NUL bytes count", "{\"key\":\"uploads/a.jpg\"}",
            "{\"key\":\"uploads/a.jpg\\u0000\"}");
  both_ways("several conditions, one fails",
            "{\"bucket\":\"b-1250000000\"},[\"starts-with\",\"$key\",\"u\"]",
            "{\"bucket\":\"b-1250000000\"},[\"starts-with\",\"$key\",\"x\"]");
  both_ways("x-cos-security-token",
            "[\"starts-with\",\"$x-cos-security-token\",\"\"]",
            "{\"x-cos-security-token\":\"" TOKEN "\"}");
}

static void test_length_range(void) {
  form_t t;

  test_case("content-length-range");
  make_form(&t, NULL, "[\"content-length-range\",1,10]");
  CHECK_EQ_INT(verify_form(&t), 0);
  CHECK_EQ_INT(t.range.min, 1);
  CHECK_EQ_INT(t.range.max, 10);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 0), SGW_COS_DENY_TOO_SMALL);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 1), 0);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 10), 0);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 11), SGW_COS_DENY_TOO_LARGE);
  test_case("without a range anything goes");
  make_form(&t, NULL, "{\"bucket\":\"b-1250000000\"}");
  CHECK_EQ_INT(verify_form(&t), 0);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 0), 0);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, INT64_MAX), 0);
  test_case("two ranges intersect");
  make_form(&t, NULL, "[\"content-length-range\",0,100],"
                      "[\"content-length-range\",50,1000]");
  CHECK_EQ_INT(verify_form(&t), 0);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 49), SGW_COS_DENY_TOO_SMALL);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 101), SGW_COS_DENY_TOO_LARGE);
  CHECK_EQ_INT(sgw_cos_verify_post_length(&t.range, 75), 0);
  test_case("a refused form fits no length");
  make_form(&t, NULL, "{\"bucket\":\"x\"}");
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_CONDITION);
  CHECK(sgw_cos_verify_post_length(&t.range, 0) != 0);
}

static void test_policy_shape(void) {
  static const struct {
    const char *name, *cond;
    int want;
  } cases[] = {
      {"unknown type", "[\"in\",\"$key\",[\"a\"]]", SGW_COS_DENY_POLICY_UNKNOWN},
      {"unknown type, even if later ones fail",
       "{\"bucket\":\"x\"},[\"not-eq\",\"$key\",\"a\"]",
       SGW_COS_DENY_POLICY_UNKNOWN},
      {"operator case matters", "[\"EQ\",\"$key\",\"uploads/a.jpg\"]",
       SGW_COS_DENY_POLICY_UNKNOWN},
      {"eq without $", "[\"eq\",\"key\",\"uploads/a.jpg\"]", SGW_COS_DENY_POLICY},
      {"eq of a number", "[\"eq\",\"$key\",1]", SGW_COS_DENY_POLICY},
      {"two members", "{\"key\":\"uploads/a.jpg\",\"bucket\":\"b-1250000000\"}",
       SGW_COS_DENY_POLICY},
      {"no member", "{}", SGW_COS_DENY_POLICY},
      {"number value", "{\"success_action_status\":200}", SGW_COS_DENY_POLICY},
      {"short array", "[\"eq\",\"$key\"]", SGW_COS_DENY_POLICY},
      {"a string", "\"key\"", SGW_COS_DENY_POLICY},
      {"range not integers", "[\"content-length-range\",1.5,10]",
       SGW_COS_DENY_POLICY},
      {"range reversed", "[\"content-length-range\",10,1]", SGW_COS_DENY_POLICY},
      {"range negative", "[\"content-length-range\",-1,1]", SGW_COS_DENY_POLICY},
  };
  form_t t;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    test_case(cases[i].name);
    make_form(&t, NULL, cases[i].cond);
    CHECK_EQ_INT(verify_form(&t), cases[i].want);
  }
}

static void test_expiration(void) {
  static const struct {
    const char *exp;
    int want;
  } cases[] = {
      {"2023-11-14T22:13:30.000Z", 0},             /* T0 + 10: now itself */
      {"2023-11-14T22:13:30Z", 0},
      {"2023-11-14T22:13:29.999Z", SGW_COS_DENY_POLICY_EXPIRED},
      {"2023-11-14T22:13:29Z", SGW_COS_DENY_POLICY_EXPIRED},
      {"1970-01-01T00:00:00.000Z", SGW_COS_DENY_POLICY_EXPIRED},
      {"+275760-09-13T00:00:00.000Z", 0},
      {"-000001-01-01T00:00:00.000Z", SGW_COS_DENY_POLICY_EXPIRED},
      {"2024-02-29T00:00:00.000Z", 0},
      {"2023-02-29T00:00:00.000Z", SGW_COS_DENY_POLICY},
      {"2023-13-01T00:00:00.000Z", SGW_COS_DENY_POLICY},
      {"2023-11-14T24:00:00.000Z", SGW_COS_DENY_POLICY},
      {"2023-11-14 22:13:30Z", SGW_COS_DENY_POLICY},
      {"2023-11-14T22:13:30.000", SGW_COS_DENY_POLICY},
      {"2023-11-14T22:13:30.Z", SGW_COS_DENY_POLICY},
      {"1700000010", SGW_COS_DENY_POLICY},
  };
  form_t t;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    test_case(cases[i].exp);
    make_form(&t, cases[i].exp, "{\"bucket\":\"b-1250000000\"}");
    CHECK_EQ_INT(verify_form(&t), cases[i].want);
  }
}

static void test_form_refused(void) {
  form_t t;

  test_case("policy not base64 / not JSON / wrong shape");
  make_form(&t, NULL, "{\"bucket\":\"b-1250000000\"}");
  t.fields[7].value = "e30";
  t.fields[7].value_len = 3;
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_POLICY);
  {
    static const char *const docs[] = {
        "{\"expiration\":\"2023-11-15T22:28:20.000Z\",\"conditions\":[]",
        "{\"conditions\":[]}",
        "{\"expiration\":\"2023-11-15T22:28:20.000Z\",\"conditions\":{}}",
        ("{\"expiration\":\"2023-11-15T22:28:20.000Z\",\"conditions\":[],"
         "\"x\":1}"),
        "[]",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
      size_t len;
      make_form(&t, NULL, "");
      sgw_base64_encode((const unsigned char *)docs[i], strlen(docs[i]),
                        t.b64, &len, 0);
      t.fields[7].value_len = len;
      sign_policy(KEY, KT, docs[i], t.sig);
      CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_POLICY);
    }
  }
  test_case("signature over another policy");
  make_form(&t, NULL, "{\"bucket\":\"b-1250000000\"}");
  sign_policy(KEY, KT, "{}", t.sig);
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_SIGNATURE);
  test_case("another key");
  make_form(&t, NULL, "{\"bucket\":\"b-1250000000\"}");
  t.fields[4].value = "AKIDother";
  t.fields[4].value_len = 9;
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_UNKNOWN_ID);
  test_case("algorithm");
  make_form(&t, NULL, "");
  t.fields[3].value = "SHA1";
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_ALGORITHM);
  test_case("time window");
  make_form(&t, NULL, "");
  t.f.now = T1 + 1;
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_EXPIRED);
  t.f.now = T0 - 1;
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_NOT_YET);
  test_case("a field twice (any case)");
  make_form(&t, NULL, "");
  t.fields[t.n++] = (sgw_kv_t)KV("KEY", "uploads/b.jpg");
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_FORM);
  test_case("no key");
  make_form(&t, NULL, "");
  t.fields[0] = t.fields[--t.n];
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_FORM);
  test_case("no signature at all / a part of it");
  make_form(&t, NULL, "");
  t.n = 3;
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_MISSING);
  make_form(&t, NULL, "");
  t.n = 7; /* no policy */
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_MALFORMED);
  test_case("token required");
  want_token = TOKEN;
  make_form(&t, NULL, "");
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_TOKEN);
  t.fields[t.n++] = (sgw_kv_t)KV("x-cos-security-token", "wrong");
  CHECK_EQ_INT(verify_form(&t), SGW_COS_DENY_TOKEN);
  t.fields[t.n - 1] = (sgw_kv_t)KV("x-cos-security-token", TOKEN);
  CHECK_EQ_INT(verify_form(&t), 0);
  want_token = NULL;
  test_case("bad calls");
  make_form(&t, NULL, "");
  t.f.bucket = NULL;
  CHECK_EQ_INT(verify_form(&t), SGW_EINVAL);
}

static void test_texts(void) {
  test_case("COS error codes");
  CHECK_EQ_STR(sgw_cos_deny_code(SGW_COS_DENY_SIGNATURE),
               "SignatureDoesNotMatch");
  CHECK_EQ_STR(sgw_cos_deny_code(SGW_COS_DENY_UNKNOWN_ID),
               "InvalidAccessKeyId");
  CHECK_EQ_STR(sgw_cos_deny_code(SGW_COS_DENY_NOT_YET),
               "RequestTimeTooSkewed");
  CHECK_EQ_STR(sgw_cos_deny_code(SGW_COS_DENY_POLICY),
               "InvalidPolicyDocument");
  CHECK_EQ_STR(sgw_cos_deny_code(SGW_COS_DENY_TOO_LARGE), "EntityTooLarge");
  CHECK_EQ_STR(sgw_cos_deny_code(0), "AccessDenied");
  CHECK_EQ_STR(sgw_cos_deny_code(999), "AccessDenied");
  CHECK_EQ_STR(sgw_cos_deny_code(-1), "AccessDenied");
  for (int r = SGW_COS_DENY_MISSING; r <= SGW_COS_DENY_TOO_LARGE; r++)
    CHECK(sgw_cos_deny_message(r) != NULL && sgw_cos_deny_code(r) != NULL);
}

int main(void) {
  if (sgw_signer_new(&signer) < 0) {
    printf("cannot make a signer\n");
    return 1;
  }
  test_request_ok();
  test_request_refused();
  test_request_token();
  test_presigned();
  test_lookalike_names();
  test_conditions();
  test_length_range();
  test_policy_shape();
  test_expiration();
  test_form_refused();
  test_texts();
  sgw_signer_free(signer);
  return test_report();
}
