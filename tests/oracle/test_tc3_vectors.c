/* Replays tc3_vectors.json (signed by the official SDK, see
 * gen_tc3_vectors.js) against tc3.c: every header, in order, byte for
 * byte. Then checks what the vectors cannot express: refused inputs and
 * their error codes, optional headers, the header lookup.
 *
 *   test_tc3_vectors path/to/tc3_vectors.json
 *
 * Prints every failure and a final "N passed, N failed"; exits 1 on any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "signgw/error.h"
#include "tc3_json.h"


/* The SecretKey must never reach a header. */
static int leaks(const sgw_tc3_result_t *res, const char *secret) {
  for (size_t i = 0; i < res->nheaders; i++)
    if (strstr(res->headers[i].value, secret) != NULL) return 1;
  return 0;
}

static void run_vector(const cJSON *v) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
  const cJSON *want = cJSON_GetObjectItemCaseSensitive(v, "headers");
  const char *n = cJSON_IsString(name) ? name->valuestring : "?", *err = "";
  sgw_tc3_result_t res;
  tc3_case_t c;
  size_t i = 0;
  int rc;

  if (tc3_case_from_json(v, &c, &err) < 0 || !cJSON_IsObject(want)) {
    CHECK(0, "[%s] bad vector: %s", n, err);
    tc3_case_free(&c);
    return;
  }
  rc = sgw_tc3_sign(&c.req, &res);
  CHECK(rc == 0, "[%s] sgw_tc3_sign returned %d", n, rc);
  if (rc == 0) {
    for (const cJSON *h = want->child; h != NULL; h = h->next, i++) {
      int ok = i < res.nheaders && strcmp(res.headers[i].name, h->string) == 0 &&
               cJSON_IsString(h) && strcmp(res.headers[i].value, h->valuestring) == 0;
      CHECK(ok, "[%s] header %zu\n   got: %s: %s\n  want: %s: %s", n, i,
            i < res.nheaders ? res.headers[i].name : "(none)",
            i < res.nheaders ? res.headers[i].value : "",
            h->string, cJSON_IsString(h) ? h->valuestring : "(not a string)");
    }
    CHECK(i == res.nheaders, "[%s] %zu headers, want %zu", n, res.nheaders, i);
    CHECK(!leaks(&res, c.req.secret_key), "[%s] secret key in a header", n);
  }
  tc3_case_free(&c);
}

static int run_vectors(const char *path) {
  cJSON *root = oracle_load_json(path);
  const cJSON *v;
  int count = 0;

  if (root == NULL) {
    printf("cannot read or parse %s\n", path);
    return -1;
  }
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
    run_vector(v);
    count++;
  }
  cJSON_Delete(root);
  /* An empty or truncated file must not pass quietly. */
  CHECK(count >= 30, "only %d vectors", count);
  return 0;
}

/* ------------------------------------------------------------------ */

static const char *const SECRET = "NegativeTestSecretKey-0123456789";

static sgw_tc3_request_t base(void) {
  sgw_tc3_request_t r;
  memset(&r, 0, sizeof(r));
  r.secret_id = "AKIDnegative";
  r.secret_key = SECRET;
  r.service = "sts";
  r.host = "sts.tencentcloudapi.com";
  r.action = "GetFederationToken";
  r.version = "2018-08-13";
  r.region = "ap-guangzhou";
  r.timestamp = 1700000000;
  r.payload = "{}";
  r.payload_len = 2;
  return r;
}

static int sign_rc(const sgw_tc3_request_t *r) {
  sgw_tc3_result_t res;
  int rc;
  memset(&res, 0xa5, sizeof(res)); /* stale content must not survive */
  rc = sgw_tc3_sign(r, &res);
  if (rc < 0) CHECK(res.nheaders == 0, "headers left after error %d", rc);
  if (rc == 0) CHECK(!leaks(&res, SECRET), "secret key in a header");
  return rc;
}

static void test_errors(void) {
  static char long_id[SGW_TC3_ID_MAX + 2], long_key[SGW_TC3_KEY_MAX + 2],
      long_name[SGW_TC3_NAME_MAX + 2], long_ct[SGW_TC3_CTYPE_MAX + 2],
      long_host[SGW_TC3_HOST_MAX + 2], long_token[SGW_TC3_TOKEN_MAX + 2];
  sgw_tc3_request_t r = base();
  sgw_tc3_result_t res;

  memset(long_id, 'a', sizeof(long_id) - 1);
  memset(long_key, 'k', sizeof(long_key) - 1);
  memset(long_name, 'n', sizeof(long_name) - 1);
  memset(long_ct, 'c', sizeof(long_ct) - 1);
  memset(long_host, 'h', sizeof(long_host) - 1);
  memset(long_token, 't', sizeof(long_token) - 1);

  CHECK(sign_rc(&r) == 0, "baseline signs");
  CHECK(sgw_tc3_sign(NULL, &res) == SGW_EINVAL && res.nheaders == 0, "NULL request");
  CHECK(sgw_tc3_sign(&r, NULL) == SGW_EINVAL, "NULL result");

#define BAD(field, value, code, what)                                  \
  do {                                                                 \
    r = base();                                                        \
    r.field = value;                                                   \
    CHECK(sign_rc(&r) == (code), "%s: %s", #field, what);              \
  } while (0)
#define OK(field, value, what)                                         \
  do {                                                                 \
    r = base();                                                        \
    r.field = value;                                                   \
    CHECK(sign_rc(&r) == 0, "%s accepted: %s", #field, what);          \
  } while (0)

  BAD(secret_id, NULL, SGW_EINVAL, "NULL");
  BAD(secret_id, "", SGW_EINVAL, "empty");
  BAD(secret_id, "AKID x", SGW_EINVAL, "space");
  BAD(secret_id, "AKID,x", SGW_EINVAL, "comma splits the Authorization");
  BAD(secret_id, "AKID/x", SGW_EINVAL, "slash splits the Credential");
  BAD(secret_id, "AKID\nx", SGW_EINVAL, "newline");
  BAD(secret_id, "AKID\xc3\xa9", SGW_EINVAL, "non-ASCII");
  BAD(secret_id, long_id, SGW_EINVAL, "too long");
  long_id[SGW_TC3_ID_MAX] = '\0';
  OK(secret_id, long_id, "at the limit");

  BAD(secret_key, NULL, SGW_EINVAL, "NULL");
  BAD(secret_key, "", SGW_EINVAL, "empty");
  BAD(secret_key, long_key, SGW_EINVAL, "too long");
  long_key[SGW_TC3_KEY_MAX] = '\0';
  OK(secret_key, long_key, "at the limit");

  BAD(service, NULL, SGW_EINVAL, "NULL");
  BAD(service, "", SGW_EINVAL, "empty");
  BAD(service, "sts/x", SGW_EINVAL, "slash changes the scope");
  BAD(action, "Get Token", SGW_EINVAL, "space");
  BAD(action, "Get\r\nX: y", SGW_EINVAL, "header injection");
  BAD(action, NULL, SGW_EINVAL, "NULL");
  BAD(version, "", SGW_EINVAL, "empty");
  BAD(version, long_name, SGW_EINVAL, "too long");
  BAD(region, "ap/x", SGW_EINVAL, "slash");
  BAD(region, "ap x", SGW_EINVAL, "space");
  long_name[SGW_TC3_NAME_MAX] = '\0';
  OK(action, long_name, "at the limit");

  BAD(security_token, "", SGW_EINVAL, "empty");
  BAD(security_token, "tok en", SGW_EINVAL, "space");
  BAD(security_token, "tok\r\nX-Evil: 1", SGW_EINVAL, "header injection");
  BAD(security_token, "t\x7f", SGW_EINVAL, "DEL");
  BAD(security_token, long_token, SGW_EINVAL, "too long");
  long_token[SGW_TC3_TOKEN_MAX] = '\0';
  OK(security_token, long_token, "at the limit");

  BAD(content_type, "", SGW_EINVAL, "empty");
  BAD(content_type, " \t ", SGW_EINVAL, "only blanks");
  BAD(content_type, "application/json\r\nX: y", SGW_EINVAL, "header injection");
  BAD(content_type, "application/json; charset=\xc3\xa9", SGW_EINVAL, "non-ASCII");
  BAD(content_type, long_ct, SGW_EINVAL, "too long");
  long_ct[SGW_TC3_CTYPE_MAX] = '\0';
  OK(content_type, long_ct, "at the limit");

  BAD(timestamp, -1, SGW_ERANGE, "negative");
  BAD(timestamp, SGW_TC3_TIMESTAMP_MAX + 1, SGW_ERANGE, "year 10000");
  BAD(timestamp, INT64_MIN, SGW_ERANGE, "INT64_MIN");
  OK(timestamp, 0, "epoch");

  r = base(), r.payload = NULL, r.payload_len = 1;
  CHECK(sign_rc(&r) == SGW_EINVAL, "NULL payload with a length");
  r = base(), r.payload = NULL, r.payload_len = 0;
  CHECK(sign_rc(&r) == 0, "NULL payload of length 0 is the empty body");

  {
    static const char *const bad_hosts[] = {
        "", "a b", "a/b", "a@b", "a?b", "a#b", "a%41", "h\xc3\xa9.example",
        "[::1]", "[::1]:443", "::1", "a..b", ".a", ".", "a..:1", "host:",
        "host:0", "host:65536", "host:123456", "host:12a", "host:-1",
        "a:1:2", "127.1", "127.0.1", "0x7f.0.0.1", "1.2.3.0x4", "1.2.3.256",
        "01.2.3.4", "1.2.3.4.", "1.2.3.4.5", "a.b.123", "example.0x",
        "example.0xff", "4294967295"};
    static const char *const good_hosts[] = {
        "1.2.3.4", "1.2.3.4:80", "255.255.255.255", "0.0.0.0:65535",
        "a.1b", "x_y.example", "example.com.", "EXAMPLE.com:08443",
        "localhost", "a-b.c-d.e"};
    for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++)
      BAD(host, bad_hosts[i], SGW_EINVAL, bad_hosts[i]);
    for (size_t i = 0; i < sizeof(good_hosts) / sizeof(good_hosts[0]); i++)
      OK(host, good_hosts[i], good_hosts[i]);
    BAD(host, NULL, SGW_EINVAL, "NULL");
    BAD(host, long_host, SGW_EINVAL, "too long");
  }
#undef BAD
#undef OK
}

static void test_headers(void) {
  static const char shape[] =
      "TC3-HMAC-SHA256 Credential=AKIDnegative/2023-11-14/sts/tc3_request, "
      "SignedHeaders=content-type;host, Signature=";
  sgw_tc3_request_t r = base();
  sgw_tc3_result_t res;
  const char *auth;

  r.region = "";
  r.host = "STS.Example:8443";
  CHECK(sgw_tc3_sign(&r, &res) == 0, "sign without region");
  CHECK(res.nheaders == 6, "six headers without region and token: %zu",
        res.nheaders);
  CHECK(sgw_tc3_header(&res, "x-tc-region") == NULL, "no X-TC-Region");
  CHECK(sgw_tc3_header(&res, "X-TC-Token") == NULL, "no X-TC-Token");
  CHECK(strcmp(sgw_tc3_header(&res, "host"), "sts.example:8443") == 0,
        "Host keeps the port, lower-cased: %s", sgw_tc3_header(&res, "host"));
  CHECK(strcmp(sgw_tc3_header(&res, "CONTENT-TYPE"),
               SGW_TC3_DEFAULT_CONTENT_TYPE) == 0,
        "default content type");
  CHECK(strcmp(sgw_tc3_header(&res, "X-TC-Timestamp"), "1700000000") == 0,
        "timestamp header");
  CHECK(strcmp(res.date, "2023-11-14") == 0, "date: %s", res.date);
  auth = sgw_tc3_header(&res, "authorization");
  CHECK(auth != NULL && strncmp(auth, shape, strlen(shape)) == 0 &&
            strlen(auth) == strlen(shape) + 64,
        "authorization shape: %s", auth ? auth : "(null)");
  CHECK(sgw_tc3_header(&res, "Authorizatio") == NULL, "no prefix match");
  CHECK(sgw_tc3_header(NULL, "Host") == NULL, "NULL result");

  /* The signature covers every signed input. */
  {
    char first[sizeof(res.authorization)] = "";
    r = base();
    if (sgw_tc3_sign(&r, &res) == 0)
      snprintf(first, sizeof(first), "%s", res.authorization);
    r.payload = "{ }", r.payload_len = 3;
    CHECK(sgw_tc3_sign(&r, &res) == 0 &&
              first[0] != '\0' && strcmp(res.authorization, first) != 0,
          "another payload, another signature");
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s tc3_vectors.json\n", argv[0]);
    return 2;
  }
  if (run_vectors(argv[1]) < 0) oracle_failed++;
  test_errors();
  test_headers();
  return oracle_report();
}
