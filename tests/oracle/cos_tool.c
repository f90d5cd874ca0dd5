/* Test-only signer driven by live_oracle.js: one JSON object per input
 * line, one output line per input line (so the two sides stay aligned).
 *
 *   request  {"secretId",...,"keyTime":"s;e","headers":{},"query":{}}
 *            -> the Authorization value as a JSON string (a SecretId may
 *               hold any character, even a newline)
 *   policy   {"policy":{"secretId",...,"start","end",...}}
 *            -> {"policy":"...","policyB64":"...","keyTime":"...",
 *                "signature":"..."}
 *   any error -> "ERROR <code> <what>"
 * The input shapes are described in cos_json.h. Every line is signed
 * through one signer, as a worker signs, so its kept SignKey is checked
 * across changing keys and key times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cos_json.h"

static sgw_signer_t *signer;

static void print_error(int code, const char *what) {
  printf("ERROR %d %s\n", code, what);
}

/* Prints o on one line and frees it. */
static void print_json(cJSON *o) {
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  if (text)
    printf("%s\n", text);
  else
    print_error(0, "cJSON_PrintUnformatted");
  cJSON_free(text);
  cJSON_Delete(o);
}

static void do_auth(const cJSON *o) {
  const char *err = "";
  oracle_sign_t s;
  sgw_buf_t out;
  int rc;

  if (oracle_sign_from_json(o, &s, &err) < 0) {
    print_error(0, err);
    oracle_sign_free(&s);
    return;
  }
  sgw_buf_init(&out);
  rc = sgw_cos_authorization(signer, &s.req, &out);
  if (rc < 0)
    print_error(rc, "sgw_cos_authorization");
  else
    print_json(cJSON_CreateString(out.base));
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
  print_json(o);
}

static void do_policy(const cJSON *o) {
  const char *err = "";
  oracle_policy_t p;
  sgw_cos_policy_result_t res;
  int rc;

  if (oracle_policy_from_json(o, &p, &err) < 0) {
    print_error(0, err);
    oracle_policy_free(&p);
    return;
  }
  rc = sgw_cos_post_policy(signer, &p.req, &res);
  if (rc < 0)
    print_error(rc, "sgw_cos_post_policy");
  else
    print_policy(&res);
  sgw_cos_policy_result_free(&res);
  oracle_policy_free(&p);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;

  if (sgw_signer_new(&signer) < 0) {
    print_error(0, "sgw_signer_new");
    return 1;
  }
  while (getline(&line, &cap, stdin) >= 0) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
    if (!cJSON_IsObject(o))
      print_error(0, "input line is not a JSON object");
    else if (cJSON_IsObject(pol))
      do_policy(pol);
    else
      do_auth(o);
    cJSON_Delete(o);
    fflush(stdout);
  }
  free(line);
  sgw_signer_free(signer);
  return 0;
}
