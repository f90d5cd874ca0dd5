/* SigV4 for S3 (src/sign/s3*.c) alone: the worked examples of AWS's S3
 * documentation, then what the SDK oracle (tests/oracle/s3_*) cannot
 * show: refused inputs and their codes, the signing-key cache, endpoint
 * parsing rules, that the secret never reaches an output.
 *
 * The expected signatures are copied from AWS's documentation
 * ("Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk" and "Authenticating Requests: Using Query
 * Parameters", Amazon S3 API Reference), never produced by our code. */
#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"
#include "signgw/s3.h"
#include "test.h"

#define DOC_ID "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE 1369353600 /* 20130524T000000Z */

static sgw_s3_endpoint_t doc_ep;

static sgw_s3_signer_t doc_signer(void) {
  sgw_s3_signer_t s;
  memset(&s, 0, sizeof(s));
  s.access_key_id = DOC_ID;
  s.secret_access_key = DOC_SECRET;
  s.region = "us-east-1";
  s.endpoint = &doc_ep;
  return s;
}

static const char *after(const char *s, const char *marker) {
  const char *p = s ? strstr(s, marker) : NULL;
  return p ? p + strlen(marker) : "";
}

#define KV(n, v) {n, sizeof(n) - 1, v, sizeof(v) - 1}

/* ---- AWS documentation examples ---------------------------------------- */

static void test_doc_header_examples(void) {
  sgw_s3_signer_t s = doc_signer();
  sgw_s3_request_t r;
  sgw_s3_signed_t out;
  int rc;

  CHECK_EQ_INT(sgw_s3_endpoint_parse("https://s3.amazonaws.com", &doc_ep), 0);

  test_case("doc: GET Object with Range");
  {
    sgw_kv_t h[] = {KV("Range", "bytes=0-9")};
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.bucket = "examplebucket";
    r.key = "test.txt";
    r.key_len = 8;
    r.date = DOC_DATE;
    r.headers = h;
    r.nheaders = 1;
    rc = sgw_s3_sign_request(&s, &r, &out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(out.host, "examplebucket.s3.amazonaws.com");
    CHECK_EQ_STR(out.amz_date, "20130524T000000Z");
    CHECK_EQ_STR(out.content_sha256,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_EQ_STR(after(out.authorization.base, "Signature="),
                 "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK(strstr(out.authorization.base ? out.authorization.base : "",
                 "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,") != NULL);
    CHECK(strncmp(out.authorization.base ? out.authorization.base : "",
                  "AWS4-HMAC-SHA256 Credential=" DOC_ID
                  "/20130524/us-east-1/s3/aws4_request, ", 76) == 0);
    CHECK_EQ_STR(out.url.base, "https://examplebucket.s3.amazonaws.com/test.txt");
    sgw_s3_signed_free(&out);
  }

  test_case("doc: PUT Object");
  {
    static const char body[] = "Welcome to Amazon S3.";
    sgw_kv_t h[] = {KV("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                    KV("x-amz-storage-class", "REDUCED_REDUNDANCY")};
    memset(&r, 0, sizeof(r));
    r.method = "PUT";
    r.bucket = "examplebucket";
    r.key = "test$file.text";
    r.key_len = strlen(r.key);
    r.date = DOC_DATE;
    r.headers = h;
    r.nheaders = 2;
    r.payload = body;
    r.payload_len = sizeof(body) - 1;
    rc = sgw_s3_sign_request(&s, &r, &out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(out.content_sha256,
                 "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK_EQ_STR(after(out.authorization.base, "Signature="),
                 "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    CHECK(strstr(out.authorization.base ? out.authorization.base : "",
                 "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                 "x-amz-storage-class,") != NULL);
    CHECK_EQ_STR(out.url.base,
                 "https://examplebucket.s3.amazonaws.com/test%24file.text");
    sgw_s3_signed_free(&out);
  }

  test_case("doc: GET Bucket lifecycle");
  {
    sgw_kv_t q[] = {KV("lifecycle", "")};
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.bucket = "examplebucket";
    r.date = DOC_DATE;
    r.query = q;
    r.nquery = 1;
    rc = sgw_s3_sign_request(&s, &r, &out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(after(out.authorization.base, "Signature="),
                 "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    CHECK_EQ_STR(out.url.base,
                 "https://examplebucket.s3.amazonaws.com/?lifecycle=");
    sgw_s3_signed_free(&out);
  }

  test_case("doc: GET Bucket (list objects)");
  {
    /* Given out of order: the signed query is sorted. */
    sgw_kv_t q[] = {KV("prefix", "J"), KV("max-keys", "2")};
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.bucket = "examplebucket";
    r.date = DOC_DATE;
    r.query = q;
    r.nquery = 2;
    rc = sgw_s3_sign_request(&s, &r, &out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(after(out.authorization.base, "Signature="),
                 "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    CHECK_EQ_STR(out.url.base,
                 "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J");
    sgw_s3_signed_free(&out);
  }
}

static void test_doc_presigned(void) {
  sgw_s3_signer_t s = doc_signer();
  sgw_s3_presign_t p;
  sgw_buf_t url;

  test_case("doc: presigned GET, query parameters");
  memset(&p, 0, sizeof(p));
  p.method = "GET";
  p.bucket = "examplebucket";
  p.key = "test.txt";
  p.key_len = 8;
  p.date = DOC_DATE;
  p.expires = 86400;
  p.omit_content_sha256 = 1;
  sgw_buf_init(&url);
  CHECK_EQ_INT(sgw_s3_presign(&s, &p, &url), 0);
  CHECK_EQ_STR(url.base,
               "https://examplebucket.s3.amazonaws.com/test.txt"
               "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
               "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
               "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
               "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
               "&X-Amz-SignedHeaders=host");
  sgw_buf_free(&url);
}

/* ---- refused inputs ---------------------------------------------------- */

static sgw_s3_presign_t base_presign(void) {
  sgw_s3_presign_t p;
  memset(&p, 0, sizeof(p));
  p.method = "PUT";
  p.bucket = "bucket";
  p.key = "a/b.jpg";
  p.key_len = 7;
  p.date = 1700000000;
  p.expires = 900;
  return p;
}

static int presign_rc(const sgw_s3_signer_t *s, const sgw_s3_presign_t *p) {
  sgw_buf_t url;
  int rc;
  sgw_buf_init(&url);
  sgw_buf_appends(&url, "prefix:");
  rc = sgw_s3_presign(s, p, &url);
  if (rc < 0)
    CHECK_EQ_STR(url.base, "prefix:"); /* untouched on error */
  else
    CHECK(strstr(url.base, DOC_SECRET) == NULL);
  sgw_buf_free(&url);
  return rc;
}

static void test_refusals(void) {
  static char long_key[SGW_S3_KEY_MAX + 2], long_id[SGW_S3_ID_MAX + 2],
      long_secret[SGW_S3_SECRET_MAX + 2], long_bucket[SGW_S3_BUCKET_MAX + 2];
  sgw_s3_signer_t s = doc_signer();
  sgw_s3_presign_t p;
  sgw_s3_endpoint_t empty;

  memset(long_key, 'k', sizeof(long_key) - 1);
  memset(long_id, 'A', sizeof(long_id) - 1);
  memset(long_secret, 's', sizeof(long_secret) - 1);
  memset(long_bucket, 'b', sizeof(long_bucket) - 1);

  test_case("refusals: signer");
  p = base_presign();
  CHECK_EQ_INT(presign_rc(&s, &p), 0);
  CHECK_EQ_INT(presign_rc(NULL, &p), SGW_EINVAL);
  CHECK_EQ_INT(sgw_s3_presign(&s, NULL, NULL), SGW_EINVAL);
#define SBAD(field, value)                                                     \
  do {                                                                         \
    sgw_s3_signer_t t = doc_signer();                                          \
    t.field = value;                                                           \
    test_case("refusals: signer " #field " = " #value);                        \
    CHECK_EQ_INT(presign_rc(&t, &p), SGW_EINVAL);                              \
  } while (0)
  SBAD(access_key_id, NULL);
  SBAD(access_key_id, "");
  SBAD(access_key_id, "AK/ID");
  SBAD(access_key_id, "AK,ID");
  SBAD(access_key_id, "AK ID");
  SBAD(access_key_id, "AK\xc3\xa9");
  SBAD(access_key_id, long_id);
  SBAD(secret_access_key, NULL);
  SBAD(secret_access_key, "");
  SBAD(secret_access_key, long_secret);
  SBAD(session_token, "");
  SBAD(session_token, "tok en");
  SBAD(session_token, "tok\r\nX: y");
  SBAD(region, NULL);
  SBAD(region, "");
  SBAD(region, "us/east");
  SBAD(region, "us east");
  SBAD(service, "s/3");
  SBAD(endpoint, NULL);
  memset(&empty, 0, sizeof(empty));
  SBAD(endpoint, &empty);
  long_id[SGW_S3_ID_MAX] = '\0';
  long_secret[SGW_S3_SECRET_MAX] = '\0';
  {
    sgw_s3_signer_t t = doc_signer();
    t.access_key_id = long_id;
    t.secret_access_key = long_secret;
    test_case("refusals: id and secret at their limits");
    CHECK_EQ_INT(presign_rc(&t, &p), 0);
  }

#define PBAD(field, value, code)                                               \
  do {                                                                         \
    p = base_presign();                                                        \
    p.field = value;                                                           \
    test_case("refusals: presign " #field " = " #value);                       \
    CHECK_EQ_INT(presign_rc(&s, &p), code);                                    \
  } while (0)
  PBAD(method, NULL, SGW_EINVAL);
  PBAD(method, "", SGW_EINVAL);
  PBAD(method, "put", SGW_EINVAL);
  PBAD(method, "PU T", SGW_EINVAL);
  PBAD(bucket, NULL, SGW_EINVAL); /* a key needs a bucket */
  PBAD(bucket, "", SGW_EINVAL);
  PBAD(bucket, ".", SGW_EINVAL);
  PBAD(bucket, "..", SGW_EINVAL);
  PBAD(bucket, "a/b", SGW_EINVAL);
  PBAD(bucket, "a b", SGW_EINVAL);
  PBAD(bucket, "a%b", SGW_EINVAL);
  PBAD(bucket, "xn--abc", SGW_EINVAL);
  PBAD(bucket, "dir--usw2-az1--x-s3", SGW_EINVAL);
  PBAD(bucket, "dir--usw2-az1--xa-s3", SGW_EINVAL);
  PBAD(bucket, long_bucket, SGW_EINVAL);
  PBAD(key_len, 0, SGW_EINVAL);
  PBAD(key_len, 8, SGW_EINVAL); /* "a/b.jpg" and its NUL */
  PBAD(date, -1, SGW_ERANGE);
  PBAD(date, SGW_S3_DATE_MAX + 1, SGW_ERANGE);
  PBAD(expires, 0, SGW_ERANGE);
  PBAD(expires, SGW_S3_EXPIRES_MAX + 1, SGW_ERANGE);
  PBAD(expires, -5, SGW_ERANGE);
  p = base_presign();
  p.key = long_key;
  p.key_len = SGW_S3_KEY_MAX + 1;
  test_case("refusals: key too long");
  CHECK_EQ_INT(presign_rc(&s, &p), SGW_EINVAL);
  p.key_len = SGW_S3_KEY_MAX;
  test_case("refusals: key at the limit");
  CHECK_EQ_INT(presign_rc(&s, &p), 0);
  PBAD(date, SGW_S3_DATE_MAX, 0);
  PBAD(date, 0, 0);
  PBAD(expires, SGW_S3_EXPIRES_MAX, 0);
  PBAD(bucket, "Upper_Case.dots", 0); /* path style, allowed */

  test_case("refusals: headers");
  {
    struct {
      sgw_kv_t kv[2];
      size_t n;
      int want;
      const char *what;
    } cases[] = {
        {{KV("Content-Type", "image/png")}, 1, 0, "plain"},
        {{KV("host", "evil.example")}, 1, SGW_EINVAL, "host is computed"},
        {{KV("Host", "evil.example")}, 1, SGW_EINVAL, "Host any case"},
        {{KV("authorization", "x")}, 1, SGW_EINVAL, "authorization"},
        {{KV("X-Amz-Date", "x")}, 1, SGW_EINVAL, "signature's own"},
        {{KV("x-amz-content-sha256", "x")}, 1, SGW_EINVAL, "payload hash"},
        {{KV("X-Amz-Security-Token", "x")}, 1, SGW_EINVAL, "token"},
        {{KV("content type", "x")}, 1, SGW_EINVAL, "space in name"},
        {{KV("content:type", "x")}, 1, SGW_EINVAL, "colon in name"},
        {{KV("", "x")}, 1, SGW_EINVAL, "empty name"},
        {{KV("content-type", "a\r\nx-evil: 1")}, 1, SGW_EINVAL, "CRLF value"},
        {{KV("content-type", "a\x01")}, 1, SGW_EINVAL, "control char"},
        {{KV("content-type", "caf\xc3\xa9")}, 1, SGW_EINVAL, "non-ASCII header"},
        {{KV("x-amz-meta-n", "caf\xc3\xa9")}, 1, 0, "non-ASCII, hoisted"},
        {{KV("x-amz-meta-n", "a\nb\x7f")}, 1, 0, "control chars, hoisted"},
        {{KV("content-type", "a\x7f")}, 1, SGW_EINVAL, "DEL"},
        {{KV("content-type", "\tx  y ")}, 1, 0, "blanks"},
        {{KV("Content-Type", "a"), KV("content-type", "b")}, 2, SGW_EINVAL,
         "repeated, other case"},
        {{KV("X-Amz-Meta-A", "a"), KV("x-amz-meta-a", "b")}, 2, SGW_EINVAL,
         "repeated hoisted, other case"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      p = base_presign();
      p.headers = cases[i].kv;
      p.nheaders = cases[i].n;
      test_case(cases[i].what);
      CHECK_EQ_INT(presign_rc(&s, &p), cases[i].want);
    }
  }

  test_case("refusals: query");
  {
    struct {
      sgw_kv_t kv[2];
      size_t n;
      int want;
      const char *what;
    } cases[] = {
        {{KV("x-id", "PutObject")}, 1, 0, "x-id"},
        {{KV("X-Amz-Signature", "0")}, 1, SGW_EINVAL, "signature"},
        {{KV("x-amz-signature", "0")}, 1, SGW_EINVAL, "signature, lower"},
        {{KV("X-Amz-Credential", "x")}, 1, SGW_EINVAL, "credential"},
        {{KV("X-AMZ-EXPIRES", "1")}, 1, SGW_EINVAL, "expires, upper"},
        {{KV("x-amz-signedheaders", "host")}, 1, SGW_EINVAL, "signed headers"},
        {{KV("", "x")}, 1, SGW_EINVAL, "empty name"},
        {{KV("a", "1"), KV("a", "2")}, 2, SGW_EINVAL, "repeated"},
        {{KV("a", "1"), KV("A", "2")}, 2, 0, "case differs: two names"},
        {{KV("v", "\x01\xff\n&=")}, 1, 0, "any bytes in a value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      p = base_presign();
      p.query = cases[i].kv;
      p.nquery = cases[i].n;
      test_case(cases[i].what);
      CHECK_EQ_INT(presign_rc(&s, &p), cases[i].want);
    }
    /* A hoisted header and a query parameter of the same name. */
    {
      sgw_kv_t h[] = {KV("x-amz-acl", "private")};
      sgw_kv_t q[] = {KV("x-amz-acl", "public-read")};
      p = base_presign();
      p.headers = h;
      p.nheaders = 1;
      p.query = q;
      p.nquery = 1;
      test_case("hoisted header repeats a query parameter");
      CHECK_EQ_INT(presign_rc(&s, &p), SGW_EINVAL);
    }
  }

  test_case("refusals: too many pairs");
  {
    sgw_kv_t many[SGW_S3_MAX_PAIRS + 1];
    char names[SGW_S3_MAX_PAIRS + 1][8];
    for (int i = 0; i <= SGW_S3_MAX_PAIRS; i++) {
      snprintf(names[i], sizeof(names[i]), "p%d", i);
      many[i] = (sgw_kv_t){names[i], strlen(names[i]), "v", 1};
    }
    p = base_presign();
    p.query = many;
    p.nquery = SGW_S3_MAX_PAIRS;
    CHECK_EQ_INT(presign_rc(&s, &p), 0);
    p.nquery = SGW_S3_MAX_PAIRS + 1;
    CHECK_EQ_INT(presign_rc(&s, &p), SGW_EINVAL);
    p = base_presign();
    p.query = NULL;
    p.nquery = 1;
    CHECK_EQ_INT(presign_rc(&s, &p), SGW_EINVAL);
  }
}

static void test_request_refusals(void) {
  sgw_s3_signer_t s = doc_signer();
  sgw_s3_request_t r;
  sgw_s3_signed_t out;

  test_case("sign_request: payload hash");
  memset(&r, 0, sizeof(r));
  r.method = "GET";
  r.bucket = "bucket";
  r.key = "k";
  r.key_len = 1;
  r.date = 1700000000;
  r.payload_hash = "UNSIGNED-PAYLOAD";
  CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), 0);
  CHECK_EQ_STR(out.content_sha256, "UNSIGNED-PAYLOAD");
  sgw_s3_signed_free(&out);
  r.payload_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), SGW_EINVAL);
  CHECK(out.url.len == 0 && out.authorization.len == 0);
  sgw_s3_signed_free(&out);
  r.payload_hash = "e3b0";
  CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), SGW_EINVAL);
  sgw_s3_signed_free(&out);
  r.payload_hash = NULL;
  r.payload = NULL;
  r.payload_len = 3;
  CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), SGW_EINVAL);
  sgw_s3_signed_free(&out);
  CHECK_EQ_INT(sgw_s3_sign_request(&s, NULL, &out), SGW_EINVAL);
  sgw_s3_signed_free(&out);
  CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, NULL), SGW_EINVAL);

  test_case("sign_request: x-amz headers stay headers, some are refused");
  {
    sgw_kv_t ok[] = {KV("x-amz-acl", "private")};
    sgw_kv_t bad[] = {KV("x-amz-date", "20130524T000000Z")};
    sgw_kv_t meta[] = {KV("x-amz-meta-n", "caf\xc3\xa9")};
    r.payload_len = 0;
    r.headers = ok;
    r.nheaders = 1;
    CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), 0);
    CHECK(strstr(out.authorization.base ? out.authorization.base : "",
                 "SignedHeaders=host;x-amz-acl;x-amz-content-sha256;x-amz-date,") != NULL);
    CHECK(strchr(out.url.base ? out.url.base : "?", '?') == NULL);
    sgw_s3_signed_free(&out);
    r.headers = bad;
    CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), SGW_EINVAL);
    sgw_s3_signed_free(&out);
    r.headers = meta; /* a header, so ASCII only */
    CHECK_EQ_INT(sgw_s3_sign_request(&s, &r, &out), SGW_EINVAL);
    sgw_s3_signed_free(&out);
  }

  test_case("sign_request: session token is a signed header");
  {
    sgw_s3_signer_t t = doc_signer();
    t.session_token = "FQoGZXIvYXdz+/=";
    r.headers = NULL;
    r.nheaders = 0;
    CHECK_EQ_INT(sgw_s3_sign_request(&t, &r, &out), 0);
    CHECK(strstr(out.authorization.base ? out.authorization.base : "",
                 ";x-amz-date;x-amz-security-token,") != NULL);
    sgw_s3_signed_free(&out);
  }
}

/* ---- POST policies ------------------------------------------------------ */

static void test_post(void) {
  sgw_s3_signer_t s = doc_signer();
  sgw_s3_post_result_t res;
  sgw_s3_post_t p;
  const char *conds[] = {"[\"content-length-range\",0,100]",
                         "{\"bucket\":\"examplebucket\"}"};
  sgw_kv_t fields[] = {KV("Content-Type", "image/png")};

  test_case("post: shape, repeats dropped");
  memset(&p, 0, sizeof(p));
  p.bucket = "examplebucket";
  p.key = "uploads/a.png";
  p.date = DOC_DATE;
  p.expires = 600;
  p.conditions = conds;
  p.nconditions = 2;
  p.fields = fields;
  p.nfields = 1;
  CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), 0);
  CHECK_EQ_STR(res.policy.base,
               "{\"expiration\":\"2013-05-24T00:10:00Z\",\"conditions\":["
               "[\"content-length-range\",0,100],{\"bucket\":\"examplebucket\"},"
               "{\"Content-Type\":\"image/png\"},"
               "{\"X-Amz-Algorithm\":\"AWS4-HMAC-SHA256\"},"
               "{\"X-Amz-Credential\":\"" DOC_ID "/20130524/us-east-1/s3/aws4_request\"},"
               "{\"X-Amz-Date\":\"20130524T000000Z\"},"
               "{\"key\":\"uploads/a.png\"}]}");
  CHECK_EQ_STR(res.url.base, "https://examplebucket.s3.amazonaws.com/");
  CHECK_EQ_INT(strlen(res.signature), 64);
  CHECK(strstr(res.policy.base ? res.policy.base : "", DOC_SECRET) == NULL);
  sgw_s3_post_result_free(&res);

  test_case("post: ${filename}");
  p.key = "uploads/${filename}";
  p.nconditions = 0;
  p.nfields = 0;
  CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), 0);
  CHECK(strstr(res.policy.base ? res.policy.base : "",
               ",[\"starts-with\",\"$key\",\"uploads/\"]]}") != NULL);
  sgw_s3_post_result_free(&res);

  test_case("post: refusals");
  {
    sgw_kv_t reserved[] = {KV("key", "x")}, reserved2[] = {KV("X-AMZ-DATE", "x")},
             reserved3[] = {KV("Policy", "x")};
    const char *bad_cond[] = {"\"just a string\""};
    p.key = "uploads/a.png";
    p.fields = reserved;
    p.nfields = 1;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.fields = reserved2;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.fields = reserved3;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.nfields = 0;
    p.conditions = bad_cond;
    p.nconditions = 1;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.nconditions = 0;
    p.key = "bad\xff utf-8";
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.key = "";
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    p.key = "k";
    p.expires = 0;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_ERANGE);
    sgw_s3_post_result_free(&res);
    p.expires = 1;
    p.date = SGW_S3_DATE_MAX;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_ERANGE);
    sgw_s3_post_result_free(&res);
    p.date = DOC_DATE;
    p.bucket = NULL;
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    CHECK_EQ_INT(sgw_s3_post_policy(&s, NULL, &res), SGW_EINVAL);
    sgw_s3_post_result_free(&res);
    CHECK_EQ_INT(sgw_s3_post_policy(&s, &p, NULL), SGW_EINVAL);
  }
}

/* ---- signing-key cache -------------------------------------------------- */

static void sign_with(sgw_s3_signer_t *s, int64_t date, char sig[65]) {
  sgw_s3_presign_t p = base_presign();
  sgw_buf_t url;
  p.date = date;
  sgw_buf_init(&url);
  CHECK_EQ_INT(sgw_s3_presign(s, &p, &url), 0);
  snprintf(sig, 65, "%s", after(url.base, "X-Amz-Signature="));
  sgw_buf_free(&url);
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0)
      return 0;
  return 1;
}

static void test_cache(void) {
  sgw_s3_key_cache_t *c = malloc(sizeof(*c));
  sgw_s3_signer_t plain = doc_signer(), cached = doc_signer();
  char a[65], b[65];
  const char *regions[] = {"r1", "r2", "r3", "r4", "r5"};

  test_case("cache: same signatures with and without it");
  sgw_s3_key_cache_init(c);
  cached.cache = c;
  sign_with(&plain, 1700000000, a);
  sign_with(&cached, 1700000000, b);
  CHECK_EQ_STR(b, a);
  CHECK_EQ_INT(c->misses, 1);
  sign_with(&cached, 1700000000, b);
  CHECK_EQ_STR(b, a);
  CHECK_EQ_INT(c->hits, 1);

  test_case("cache: the next UTC day derives a new key");
  sign_with(&plain, 1700006400 + 86400, a);
  sign_with(&cached, 1700006400 + 86400, b);
  CHECK_EQ_STR(b, a);
  CHECK_EQ_INT(c->misses, 2);

  test_case("cache: another secret of the same length is a miss");
  {
    char other[] = DOC_SECRET;
    other[0] = 'X';
    plain.secret_access_key = other;
    cached.secret_access_key = other;
    sign_with(&plain, 1700000000, a);
    sign_with(&cached, 1700000000, b);
    CHECK_EQ_STR(b, a);
    CHECK_EQ_INT(c->misses, 3);
    plain.secret_access_key = DOC_SECRET;
    cached.secret_access_key = DOC_SECRET;
  }

  test_case("cache: more regions than slots, least recently used goes");
  for (int i = 0; i < 5; i++) {
    plain.region = cached.region = regions[i];
    sign_with(&plain, 1700000000, a);
    sign_with(&cached, 1700000000, b);
    CHECK_EQ_STR(b, a);
  }
  CHECK_EQ_INT(c->misses, 8);
  plain.region = cached.region = "r5";
  sign_with(&cached, 1700000000, b);
  CHECK_EQ_INT(c->misses, 8);
  plain.region = cached.region = "r1"; /* evicted */
  sign_with(&cached, 1700000000, b);
  CHECK_EQ_INT(c->misses, 9);

  test_case("cache: another service");
  cached.service = "s3-object-lambda";
  plain.service = "s3-object-lambda";
  sign_with(&plain, 1700000000, a);
  sign_with(&cached, 1700000000, b);
  CHECK_EQ_STR(b, a);
  CHECK_EQ_INT(c->misses, 10);

  test_case("cache: wipe leaves no key material");
  sgw_s3_key_cache_wipe(c);
  CHECK(all_zero(c, sizeof(*c)));
  free(c);
}

/* ---- endpoints ---------------------------------------------------------- */

static void test_endpoints(void) {
  sgw_s3_endpoint_t ep;
  static const char *const bad[] = {
      "", "s3.amazonaws.com", "ftp://h", "https:/h", "https://",
      "https://h?x=1", "https://h#f", "https://user@h", "https://h:0",
      "https://h:65536", "https://h:", "https://h:12a", "https://h:123456",
      "https://h/a b", "https://h/./x", "https://h/a/../b", "https://h/%41",
      "https://h\\x", "https://h./", "https://.h", "https://a..b",
      "https://1.2.3", "https://01.2.3.4", "https://1.2.3.256", "https://0x7f.1",
      "https://h.123", "https://[::1", "https://[1.2.3.4]", "https://[::ffff:1.2.3.4]",
      "https://[fe80::1%25eth0]", "https://[::1]x", "https://h\xc3\xa9.com",
      "https://h .com", "HTTPS://h", "Http://h", NULL};

  test_case("endpoint: refused");
  for (int i = 0; bad[i] != NULL; i++) {
    int rc = sgw_s3_endpoint_parse(bad[i], &ep);
    if (!CHECK_EQ_INT(rc, SGW_EINVAL))
      printf("    for %s\n", bad[i]);
    CHECK(ep.host[0] == '\0');
  }
  CHECK_EQ_INT(sgw_s3_endpoint_parse(NULL, &ep), SGW_EINVAL);
  CHECK_EQ_INT(sgw_s3_endpoint_parse("https://h", NULL), SGW_EINVAL);

  test_case("endpoint: host case, default ports, root path");
  CHECK_EQ_INT(sgw_s3_endpoint_parse("https://MinIO.Example.COM:443/", &ep), 0);
  CHECK(ep.https == 1 && ep.port == 0 && ep.ip == 0);
  CHECK_EQ_STR(ep.host, "minio.example.com");
  CHECK_EQ_STR(ep.path, "");
  CHECK_EQ_INT(sgw_s3_endpoint_parse("http://127.0.0.1:9000/base/", &ep), 0);
  CHECK(ep.https == 0 && ep.port == 9000 && ep.ip == 1);
  CHECK_EQ_STR(ep.path, "/base/");
  CHECK_EQ_INT(sgw_s3_endpoint_parse("http://h:80", &ep), 0);
  CHECK(ep.port == 0);
  CHECK_EQ_INT(sgw_s3_endpoint_parse("http://h:443", &ep), 0);
  CHECK(ep.port == 443);
  CHECK_EQ_INT(sgw_s3_endpoint_parse("http://[::1]:9000", &ep), 0);
  CHECK_EQ_STR(ep.host, "[::1]");
  CHECK(ep.ip == 1 && ep.port == 9000);
  CHECK_EQ_INT(sgw_s3_endpoint_parse("http://[0:0:0:0:0:0:0:1]", &ep), 0);
  CHECK_EQ_STR(ep.host, "[::1]");

  test_case("endpoint: AWS defaults");
  CHECK_EQ_INT(sgw_s3_endpoint_default("eu-west-1", &ep), 0);
  CHECK_EQ_STR(ep.host, "s3.eu-west-1.amazonaws.com");
  CHECK(ep.https == 1 && ep.port == 0 && ep.path[0] == '\0');
  CHECK_EQ_INT(sgw_s3_endpoint_default("cn-north-1", &ep), 0);
  CHECK_EQ_STR(ep.host, "s3.cn-north-1.amazonaws.com.cn");
  CHECK_EQ_INT(sgw_s3_endpoint_default("US-EAST-1", &ep), SGW_EINVAL);
  CHECK_EQ_INT(sgw_s3_endpoint_default("us.east", &ep), SGW_EINVAL);
  CHECK_EQ_INT(sgw_s3_endpoint_default("", &ep), SGW_EINVAL);
  CHECK_EQ_INT(sgw_s3_endpoint_default("-x", &ep), SGW_EINVAL);
}

static void test_hoisting(void) {
  test_case("hoisting predicate");
  CHECK(sgw_s3_header_hoisted("x-amz-acl", 9));
  CHECK(sgw_s3_header_hoisted("X-Amz-Meta-Foo", 14));
  CHECK(!sgw_s3_header_hoisted("x-amz-server-side-encryption", 28));
  CHECK(!sgw_s3_header_hoisted("X-Amz-Server-Side-Encryption-Customer-Key", 41));
  CHECK(!sgw_s3_header_hoisted("content-type", 12));
  CHECK(!sgw_s3_header_hoisted("x-amz", 5));
}

int main(void) {
  test_doc_header_examples();
  test_doc_presigned();
  test_refusals();
  test_request_refusals();
  test_post();
  test_cache();
  test_endpoints();
  test_hoisting();
  return test_report();
}
