/* Test-only helper for jwt_live.js: verifies a batch of tokens with the
 * C core and prints one JSON line per key set and per case.
 *
 *   jwt_tool CASES.json
 *
 * CASES.json: {"keysets": {NAME: [SOURCE, ...]}, "cases": [CASE, ...]}
 *   SOURCE  {"secret_b64url": "..."} | {"pem": "..."} | {"jwks": "..."}
 *   CASE    {"name", "token", "keyset", "algs": [...], "iss", "aud",
 *            "now", "leeway", "require_exp"}
 * Output lines:
 *   {"keyset": NAME, "ok": true, "count": N} or
 *   {"keyset": NAME, "ok": false, "error": "..."}
 *   {"case": NAME, "rc": N, "reason": "...", "msg": "...",
 *    "alg": "...", "header": {...}, "claims": {...}}  (the last three on
 *   success only) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "oracle.h"
#include "signgw/crypto.h"
#include "signgw/jwt.h"

#define MAX_SETS 64

static void print_obj(cJSON *o) {
  char *s = cJSON_PrintUnformatted(o);
  puts(s ? s : "{\"error\":\"print failed\"}");
  free(s);
  cJSON_Delete(o);
}

static int load_source(sgw_jwt_keyset_t *ks, const cJSON *src, char *err,
                       size_t errlen) {
  const cJSON *v;

  if ((v = cJSON_GetObjectItem(src, "secret_b64url")) != NULL) {
    size_t len = strlen(v->valuestring), n = 0;
    unsigned char *b = malloc(len / 4 * 3 + 3);
    int rc = b ? sgw_base64_decode(v->valuestring, len, b, &n, 1) : -1;
    if (rc == 0)
      rc = sgw_jwt_keyset_add_secret(ks, b, n);
    free(b);
    if (rc < 0)
      snprintf(err, errlen, "secret: error %d", rc);
    return rc;
  }
  if ((v = cJSON_GetObjectItem(src, "pem")) != NULL)
    return sgw_jwt_keyset_add_pem(ks, v->valuestring, strlen(v->valuestring),
                                  err, errlen);
  if ((v = cJSON_GetObjectItem(src, "jwks")) != NULL)
    return sgw_jwt_keyset_add_jwks(ks, v->valuestring,
                                   strlen(v->valuestring), err, errlen);
  snprintf(err, errlen, "unknown source");
  return -1;
}

int main(int argc, char **argv) {
  const char *names[MAX_SETS];
  sgw_jwt_keyset_t *sets[MAX_SETS];
  size_t nsets = 0;
  cJSON *root, *c;
  const cJSON *ksj, *cases;

  if (argc != 2) {
    fprintf(stderr, "usage: jwt_tool CASES.json\n");
    return 2;
  }
  root = oracle_load_json(argv[1]);
  if (root == NULL) {
    fprintf(stderr, "jwt_tool: cannot read %s\n", argv[1]);
    return 2;
  }
  ksj = cJSON_GetObjectItem(root, "keysets");
  cJSON_ArrayForEach(c, ksj) {
    char err[256] = "";
    const cJSON *src;
    sgw_jwt_keyset_t *ks = NULL;
    int rc = sgw_jwt_keyset_new(&ks);
    cJSON *out = cJSON_CreateObject();

    cJSON_ArrayForEach(src, c) {
      if (rc == 0)
        rc = load_source(ks, src, err, sizeof(err));
    }
    cJSON_AddStringToObject(out, "keyset", c->string);
    cJSON_AddBoolToObject(out, "ok", rc == 0);
    if (rc == 0)
      cJSON_AddNumberToObject(out, "count", (double)sgw_jwt_keyset_count(ks));
    else
      cJSON_AddStringToObject(out, "error", err);
    print_obj(out);
    if (nsets < MAX_SETS) {
      names[nsets] = c->string;
      sets[nsets++] = ks; /* NULL-safe later: a failed set stays usable */
    } else {
      sgw_jwt_keyset_free(ks);
    }
  }

  cases = cJSON_GetObjectItem(root, "cases");
  cJSON_ArrayForEach(c, cases) {
    const cJSON *v, *e;
    const char *aud[16];
    sgw_jwt_opts_t o = {0};
    sgw_jwt_result_t res;
    sgw_jwt_keyset_t *ks = NULL;
    const char *token = cJSON_GetObjectItem(c, "token")->valuestring;
    cJSON *out = cJSON_CreateObject();
    int rc;

    v = cJSON_GetObjectItem(c, "keyset");
    for (size_t i = 0; i < nsets; i++)
      if (strcmp(names[i], v->valuestring) == 0)
        ks = sets[i];
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(c, "algs")) {
      int a = sgw_jwt_alg_parse(e->valuestring, strlen(e->valuestring));
      if (a >= 0)
        o.algs |= SGW_JWT_ALG_BIT(a);
    }
    if ((v = cJSON_GetObjectItem(c, "iss")) != NULL)
      o.iss = v->valuestring;
    if ((v = cJSON_GetObjectItem(c, "aud")) != NULL) {
      if (cJSON_IsString(v))
        aud[o.naud++] = v->valuestring;
      else
        cJSON_ArrayForEach(e, v) {
          if (o.naud < 16)
            aud[o.naud++] = e->valuestring;
        }
      o.aud = aud;
    }
    if ((v = cJSON_GetObjectItem(c, "now")) != NULL)
      o.now = (int64_t)v->valuedouble;
    if ((v = cJSON_GetObjectItem(c, "leeway")) != NULL)
      o.leeway = (int64_t)v->valuedouble;
    o.require_exp = cJSON_IsTrue(cJSON_GetObjectItem(c, "require_exp"));

    cJSON_AddStringToObject(out, "case",
                            cJSON_GetObjectItem(c, "name")->valuestring);
    if (ks == NULL) {
      cJSON_AddStringToObject(out, "reason", "no_keyset");
      print_obj(out);
      continue;
    }
    rc = sgw_jwt_verify(ks, token, strlen(token), &o, &res);
    cJSON_AddNumberToObject(out, "rc", rc);
    cJSON_AddStringToObject(out, "reason", sgw_jwt_reason_name(res.reason));
    cJSON_AddStringToObject(out, "msg", res.msg);
    if (rc == 0) {
      cJSON_AddStringToObject(out, "alg", sgw_jwt_alg_name(res.alg));
      cJSON_AddItemToObject(out, "header", res.header);
      cJSON_AddItemToObject(out, "claims", res.claims);
      res.header = res.claims = NULL; /* now owned by out */
    }
    sgw_jwt_result_free(&res);
    print_obj(out);
  }
  for (size_t i = 0; i < nsets; i++)
    sgw_jwt_keyset_free(sets[i]);
  cJSON_Delete(root);
  return 0;
}
