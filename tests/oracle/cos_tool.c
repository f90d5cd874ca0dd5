/* Test-only signer driven by live_oracle.js: one JSON object per input
 * line, one output line per input line (so the two sides stay aligned).
 *
 *   request  {"secretId",...,"keyTime":"s;e","headers":{},"query":{}}
 *            -> the Authorization value as a JSON string (a SecretId may
 *               hold any character, even a newline)
 *   policy   {"policy":{"secretId",...,"start","end",...}}
 *            -> {"policy":"...","policyB64":"...","keyTime":"...",
 *                "signature":"..."}
 *   presign  {"presign":{"secretId","secretKey","securityToken","scheme",
 *                        "host","method","key","start","end","headers":{},
 *                        "query":{}}}
 *            -> the URL as a JSON string
 *   verify   {"verify":{"method","path","query":"raw","headers":[[n,v]..],
 *                       "now","ids":{"<id>":{"key","token"}}}}
 *            -> {"rc":N} (0 accepted, >0 the SGW_COS_DENY_* reason)
 *   verifyPost {"verifyPost":{"bucket","fields":[[n,v]..],"now","ids",
 *                             "lengths":[..]}}
 *            -> {"rc":N,"lengths":[rc of sgw_cos_verify_post_length ..]}
 *   any error -> "ERROR <code> <what>"
 * The input shapes are described in cos_json.h. Every line is signed
 * through one signer, as a worker signs, so its kept SignKey is checked
 * across changing keys and key times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cos_json.h"
#include "oracle.h"
#include "signgw/cos_verify.h"
#include "signgw/error.h"

static sgw_signer_t *signer;

static void do_auth(const cJSON *o) {
  const char *err = "";
  oracle_sign_t s;
  sgw_buf_t out;
  int rc;

  if (oracle_sign_from_json(o, &s, &err) < 0) {
    oracle_print_error(0, err);
    oracle_sign_free(&s);
    return;
  }
  sgw_buf_init(&out);
  rc = sgw_cos_authorization(signer, &s.req, &out);
  if (rc < 0)
    oracle_print_error(rc, "sgw_cos_authorization");
  else
    oracle_print_json(cJSON_CreateString(out.base));
  sgw_buf_free(&out);
  oracle_sign_free(&s);
}

/* The policy text may hold any character; JSON keeps the line intact. */
static void print_policy(const sgw_cos_policy_result_t *res) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "policy", res->policy.base);
  cJSON_AddStringToObject(o, "policyB64", res->policy_b64.base);
  cJSON_AddStringToObject(o, "keyTime", res->key_time);
  cJSON_AddStringToObject(o, "signature", res->signature);
  oracle_print_json(o);
}

static void do_policy(const cJSON *o) {
  const char *err = "";
  oracle_policy_t p;
  sgw_cos_policy_result_t res;
  int rc;

  if (oracle_policy_from_json(o, &p, &err) < 0) {
    oracle_print_error(0, err);
    oracle_policy_free(&p);
    return;
  }
  rc = sgw_cos_post_policy(signer, &p.req, &res);
  if (rc < 0)
    oracle_print_error(rc, "sgw_cos_post_policy");
  else
    print_policy(&res);
  sgw_cos_policy_result_free(&res);
  oracle_policy_free(&p);
}

static int64_t num(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* {"<id>": {"key": "...", "token": "..." | null}} */
static int ids_lookup(void *arg, const char *id, size_t len,
                      sgw_cos_secret_t *out) {
  for (const cJSON *c = arg ? ((const cJSON *)arg)->child : NULL; c;
       c = c->next) {
    if (strlen(c->string) != len || memcmp(c->string, id, len) != 0)
      continue;
    out->secret_key = oracle_str(c, "key");
    out->security_token = oracle_str(c, "token");
    return out->secret_key ? 0 : -1;
  }
  return -1;
}

/* [[name, value], ...] into a new kv array (pointing into the tree). */
static sgw_kv_t *pairs(const cJSON *arr, size_t *n) {
  sgw_kv_t *kv = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*kv));
  const cJSON *c;

  *n = 0;
  if (kv == NULL) return NULL;
  cJSON_ArrayForEach(c, arr) {
    const cJSON *k = cJSON_GetArrayItem(c, 0), *v = cJSON_GetArrayItem(c, 1);
    if (!cJSON_IsString(k) || !cJSON_IsString(v)) continue;
    kv[*n] = (sgw_kv_t){k->valuestring, strlen(k->valuestring),
                        v->valuestring, strlen(v->valuestring)};
    (*n)++;
  }
  return kv;
}

static void print_rc(int rc, const cJSON *lengths) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "rc", rc);
  if (lengths) cJSON_AddItemToObject(o, "lengths", cJSON_Duplicate(lengths, 1));
  oracle_print_json(o);
}

static void do_verify(const cJSON *o) {
  const char *query = oracle_str(o, "query");
  sgw_cos_request_t r = {0};
  sgw_kv_t *headers;
  int rc;

  headers = pairs(cJSON_GetObjectItemCaseSensitive(o, "headers"), &r.nheaders);
  r.method = oracle_str(o, "method");
  r.path = oracle_str(o, "path");
  r.path_len = r.path ? strlen(r.path) : 0;
  r.query = query;
  r.query_len = query ? strlen(query) : 0;
  r.headers = headers;
  r.now = num(o, "now");
  r.lookup = ids_lookup;
  r.lookup_arg = cJSON_GetObjectItemCaseSensitive(o, "ids");
  rc = headers ? sgw_cos_verify_request(signer, &r) : SGW_ENOMEM;
  print_rc(rc, NULL);
  free(headers);
}

static void do_verify_post(const cJSON *o) {
  sgw_cos_form_t f = {0};
  sgw_cos_length_range_t range;
  const cJSON *lengths = cJSON_GetObjectItemCaseSensitive(o, "lengths"), *c;
  cJSON *out = cJSON_CreateArray();
  sgw_kv_t *fields;
  int rc;

  fields = pairs(cJSON_GetObjectItemCaseSensitive(o, "fields"), &f.nfields);
  f.bucket = oracle_str(o, "bucket");
  f.fields = fields;
  f.now = num(o, "now");
  f.lookup = ids_lookup;
  f.lookup_arg = cJSON_GetObjectItemCaseSensitive(o, "ids");
  rc = fields ? sgw_cos_verify_post(signer, &f, &range) : SGW_ENOMEM;
  cJSON_ArrayForEach(c, lengths)
    cJSON_AddItemToArray(out, cJSON_CreateNumber(
        rc == 0 ? sgw_cos_verify_post_length(&range, (int64_t)c->valuedouble)
                : rc));
  print_rc(rc, out);
  cJSON_Delete(out);
  free(fields);
}

static void do_presign(const cJSON *o) {
  const char *err = "";
  sgw_cos_presign_t p;
  sgw_buf_t out;
  int rc;

  if (oracle_presign_from_json(o, &p, &err) < 0) {
    oracle_print_error(0, err);
    oracle_presign_free(&p);
    return;
  }
  sgw_buf_init(&out);
  rc = sgw_cos_presign_url(signer, &p, &out);
  if (rc < 0)
    oracle_print_error(rc, "sgw_cos_presign_url");
  else
    oracle_print_json(cJSON_CreateString(out.base));
  sgw_buf_free(&out);
  oracle_presign_free(&p);
}

/* One input line: the member it holds says what to do. */
static void do_line(const cJSON *o, void *arg) {
  const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
  const cJSON *pre = cJSON_GetObjectItemCaseSensitive(o, "presign");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "verify");
  const cJSON *vpost = cJSON_GetObjectItemCaseSensitive(o, "verifyPost");

  (void)arg;
  if (cJSON_IsObject(pol))
    do_policy(pol);
  else if (cJSON_IsObject(pre))
    do_presign(pre);
  else if (cJSON_IsObject(ver))
    do_verify(ver);
  else if (cJSON_IsObject(vpost))
    do_verify_post(vpost);
  else
    do_auth(o);
}

int main(void) {
  if (sgw_signer_new(&signer) < 0) {
    oracle_print_error(0, "sgw_signer_new");
    return 1;
  }
  oracle_each_line(do_line, NULL);
  sgw_signer_free(signer);
  return 0;
}
