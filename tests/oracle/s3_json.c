#include "s3_json.h"

#include <stdlib.h>
#include <string.h>

#include "signgw/error.h"

/* Member string, NULL when it is JSON null; -1 when missing or another
 * type (null only where `nullable`). */
static int s3_str(const cJSON *o, const char *name, int nullable,
                  const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (cJSON_IsString(v)) {
    *out = v->valuestring;
    return 0;
  }
  if (nullable && (v == NULL || cJSON_IsNull(v))) {
    *out = NULL;
    return 0;
  }
  return -1;
}

static int s3_int(const cJSON *o, const char *name, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsNumber(v))
    return -1;
  *out = (int64_t)v->valuedouble; /* inputs stay below 2^53 */
  return 0;
}

/* [[name, value], ...] into kv (at most SGW_S3_MAX_PAIRS + 1, so a case
 * can try one too many). */
static int s3_pairs(const cJSON *o, const char *name, sgw_kv_t *kv,
                    size_t *n) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name), *e;
  *n = 0;
  if (a == NULL)
    return 0;
  if (!cJSON_IsArray(a))
    return -1;
  cJSON_ArrayForEach(e, a) {
    const cJSON *k = cJSON_GetArrayItem(e, 0), *v = cJSON_GetArrayItem(e, 1);
    if (*n == SGW_S3_MAX_PAIRS + 1 || !cJSON_IsString(k) ||
        !cJSON_IsString(v))
      return -1;
    kv[*n] = (sgw_kv_t){k->valuestring, strlen(k->valuestring),
                        v->valuestring, strlen(v->valuestring)};
    (*n)++;
  }
  return 0;
}

int s3_case_from_json(const cJSON *o, s3_case_t *c, const char **err) {
  const char *kind = NULL, *endpoint = NULL, *method = NULL, *b64 = NULL;
  const cJSON *fps = cJSON_GetObjectItemCaseSensitive(o, "forcePathStyle");
  const cJSON *conds = cJSON_GetObjectItemCaseSensitive(o, "conditions"), *e;
  sgw_s3_signer_t *s = &c->signer;
  const char *bucket = NULL, *key = NULL;
  size_t nheaders = 0, nquery = 0, nfields = 0, nconds = 0;
  int64_t date = 0, expires = 0;

  memset(c, 0, sizeof(*c));
  if (s3_str(o, "kind", 0, &kind) < 0 ||
      s3_str(o, "accessKeyId", 0, &s->access_key_id) < 0 ||
      s3_str(o, "secretAccessKey", 0, &s->secret_access_key) < 0 ||
      s3_str(o, "sessionToken", 1, &s->session_token) < 0 ||
      s3_str(o, "region", 0, &s->region) < 0 ||
      s3_str(o, "service", 1, &s->service) < 0 ||
      s3_str(o, "endpoint", 1, &endpoint) < 0 ||
      s3_str(o, "bucket", 1, &bucket) < 0 || s3_str(o, "key", 1, &key) < 0 ||
      s3_str(o, "method", 0, &method) < 0)
    return *err = "a string member is missing or has the wrong type", -1;
  if (s3_int(o, "date", &date) < 0 || s3_int(o, "expires", &expires) < 0)
    return *err = "date or expires is not a number", -1;
  if (s3_pairs(o, "headers", c->headers, &nheaders) < 0 ||
      s3_pairs(o, "query", c->query, &nquery) < 0 ||
      s3_pairs(o, "fields", c->fields, &nfields) < 0)
    return *err = "headers, query or fields are not [[name, value], ...]", -1;
  s->force_path_style = cJSON_IsTrue(fps);
  s->endpoint = &c->endpoint;

  if (strcmp(kind, "presign") == 0) {
    sgw_s3_presign_t *p = &c->presign;
    c->kind = 0;
    p->method = method;
    p->bucket = bucket;
    p->key = key;
    p->key_len = key ? strlen(key) : 0;
    p->date = date;
    p->expires = expires;
    p->headers = c->headers;
    p->nheaders = nheaders;
    p->query = c->query;
    p->nquery = nquery;
  } else if (strcmp(kind, "request") == 0) {
    sgw_s3_request_t *r = &c->request;
    size_t len;
    c->kind = 1;
    if (s3_str(o, "payloadB64", 0, &b64) < 0 ||
        s3_str(o, "payloadHash", 1, &r->payload_hash) < 0)
      return *err = "payloadB64 or payloadHash missing", -1;
    len = strlen(b64);
    c->payload = malloc(len * 3 / 4 + 3);
    if (c->payload == NULL)
      return *err = "out of memory", -1;
    if (sgw_base64_decode(b64, len, c->payload, &r->payload_len, 0) < 0)
      return *err = "payloadB64 is not base64", -1;
    r->payload = c->payload;
    r->method = method;
    r->bucket = bucket;
    r->key = key;
    r->key_len = key ? strlen(key) : 0;
    r->date = date;
    r->headers = c->headers;
    r->nheaders = nheaders;
    r->query = c->query;
    r->nquery = nquery;
  } else if (strcmp(kind, "post") == 0) {
    sgw_s3_post_t *p = &c->post;
    c->kind = 2;
    if (conds != NULL && !cJSON_IsArray(conds))
      return *err = "conditions is not an array", -1;
    cJSON_ArrayForEach(e, conds) {
      if (nconds == SGW_S3_MAX_PAIRS + 1 || !cJSON_IsString(e))
        return *err = "conditions must be JSON texts", -1;
      c->conditions[nconds++] = e->valuestring;
    }
    p->bucket = bucket;
    p->key = key;
    p->date = date;
    p->expires = expires;
    p->fields = c->fields;
    p->nfields = nfields;
    p->conditions = c->conditions;
    p->nconditions = nconds;
  } else {
    return *err = "unknown kind", -1;
  }
  /* A refused endpoint leaves the host empty, which signing refuses. */
  if (endpoint != NULL)
    sgw_s3_endpoint_parse(endpoint, &c->endpoint);
  else
    sgw_s3_endpoint_default(s->region, &c->endpoint);
  return 0;
}

static void add_pair(cJSON *o, const sgw_kv_t *kv) {
  char *name = strndup(kv->name, kv->name_len);
  char *value = strndup(kv->value ? kv->value : "", kv->value_len);
  if (name && value)
    cJSON_AddStringToObject(o, name, value);
  free(name);
  free(value);
}

cJSON *s3_case_run(s3_case_t *c, sgw_s3_key_cache_t *cache, int *rc) {
  cJSON *out = cJSON_CreateObject();

  c->signer.cache = cache;
  if (out == NULL) {
    *rc = SGW_ENOMEM;
    return NULL;
  }
  if (c->kind == 0) {
    sgw_buf_t url;
    sgw_buf_init(&url);
    *rc = sgw_s3_presign(&c->signer, &c->presign, &url);
    if (*rc == 0)
      cJSON_AddStringToObject(out, "url", url.base);
    sgw_buf_free(&url);
  } else if (c->kind == 1) {
    sgw_s3_signed_t s;
    *rc = sgw_s3_sign_request(&c->signer, &c->request, &s);
    if (*rc == 0) {
      cJSON_AddStringToObject(out, "url", s.url.base);
      cJSON_AddStringToObject(out, "authorization", s.authorization.base);
      cJSON_AddStringToObject(out, "host", s.host);
      cJSON_AddStringToObject(out, "x-amz-date", s.amz_date);
      cJSON_AddStringToObject(out, "x-amz-content-sha256", s.content_sha256);
    }
    sgw_s3_signed_free(&s);
  } else {
    sgw_s3_post_result_t r;
    *rc = sgw_s3_post_policy(&c->signer, &c->post, &r);
    if (*rc == 0) {
      cJSON *f = cJSON_CreateObject();
      const char *tok = c->signer.session_token;
      cJSON_AddStringToObject(out, "url", r.url.base);
      cJSON_AddItemToObject(out, "fields", f);
      for (size_t i = 0; i < c->post.nfields; i++)
        add_pair(f, &c->post.fields[i]);
      cJSON_AddStringToObject(f, "bucket", c->post.bucket);
      cJSON_AddStringToObject(f, "X-Amz-Algorithm", SGW_S3_ALGORITHM);
      cJSON_AddStringToObject(f, "X-Amz-Credential", r.credential);
      cJSON_AddStringToObject(f, "X-Amz-Date", r.amz_date);
      if (tok != NULL)
        cJSON_AddStringToObject(f, "X-Amz-Security-Token", tok);
      cJSON_AddStringToObject(f, "key", c->post.key);
      cJSON_AddStringToObject(f, "Policy", r.policy_b64.base);
      cJSON_AddStringToObject(f, "X-Amz-Signature", r.signature);
    }
    sgw_s3_post_result_free(&r);
  }
  if (*rc < 0) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

void s3_case_free(s3_case_t *c) {
  free(c->payload);
  c->payload = NULL;
}
