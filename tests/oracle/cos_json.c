#include "cos_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *oracle_str(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int oracle_int(const cJSON *o, const char *name, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsNumber(v)) return -1;
  *out = (int64_t)v->valuedouble;  /* test inputs stay below 2^53 */
  return 0;
}

int oracle_parse_key_time(const char *s, int64_t *start, int64_t *end) {
  char *p;
  if (s == NULL) return -1;
  errno = 0;
  *start = strtoll(s, &p, 10);
  if (p == s || *p != ';' || errno) return -1;
  s = p + 1;
  *end = strtoll(s, &p, 10);
  if (p == s || *p != '\0' || errno) return -1;
  return 0;
}

static size_t oracle_count(const cJSON *obj) {
  size_t n = 0;
  for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next) n++;
  return n;
}

/* Copies an object's string members into kv (names and values point into
 * the tree). A missing member is an empty object. */
static int oracle_kv(const cJSON *obj, sgw_kv_t *kv, const char **err) {
  size_t i = 0;
  if (obj && !cJSON_IsObject(obj)) return *err = "headers/query: not an object", -1;
  for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next, i++) {
    if (!cJSON_IsString(c)) return *err = "headers/query: value not a string", -1;
    kv[i].name = c->string;
    kv[i].name_len = strlen(c->string);
    kv[i].value = c->valuestring;
    kv[i].value_len = strlen(c->valuestring);
  }
  return 0;
}

int oracle_sign_from_json(const cJSON *o, oracle_sign_t *s, const char **err) {
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "headers");
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "query");
  size_t nh = oracle_count(h), nq = oracle_count(q);
  sgw_cos_sign_t *r = &s->req;

  memset(s, 0, sizeof(*s));
  r->secret_id = oracle_str(o, "secretId");
  r->secret_key = oracle_str(o, "secretKey");
  r->method = oracle_str(o, "method");
  r->path = oracle_str(o, "path");
  if (!r->secret_id || !r->secret_key || !r->method || !r->path)
    return *err = "missing secretId/secretKey/method/path", -1;
  r->path_len = strlen(r->path);
  if (oracle_parse_key_time(oracle_str(o, "keyTime"), &r->start, &r->end))
    return *err = "bad keyTime", -1;
  if ((s->kv = calloc(nh + nq + 1, sizeof(*s->kv))) == NULL)
    return *err = "out of memory", -1;
  if (oracle_kv(h, s->kv, err) || oracle_kv(q, s->kv + nh, err)) return -1;
  r->headers = s->kv;
  r->nheaders = nh;
  r->params = s->kv + nh;
  r->nparams = nq;
  return 0;
}

void oracle_sign_free(oracle_sign_t *s) {
  free(s->kv);
  s->kv = NULL;
}

static int oracle_extra(const cJSON *arr, oracle_policy_t *p, const char **err) {
  size_t n = oracle_count(arr), i = 0;
  if (arr == NULL || cJSON_IsNull(arr)) return 0;
  if (!cJSON_IsArray(arr)) return *err = "extra: not an array", -1;
  if ((p->extra = calloc(n + 1, sizeof(*p->extra))) == NULL)
    return *err = "out of memory", -1;
  for (const cJSON *c = arr->child; c; c = c->next) {
    if (!cJSON_IsString(c)) return *err = "extra: not a string", -1;
    p->extra[i++] = c->valuestring;
  }
  p->req.extra_conditions = p->extra;
  p->req.nextra_conditions = n;
  return 0;
}

int oracle_policy_from_json(const cJSON *o, oracle_policy_t *p,
                            const char **err) {
  sgw_cos_policy_t *r = &p->req;
  memset(p, 0, sizeof(*p));
  r->secret_id = oracle_str(o, "secretId");
  r->secret_key = oracle_str(o, "secretKey");
  r->bucket = oracle_str(o, "bucket");
  r->key = oracle_str(o, "key");
  r->security_token = oracle_str(o, "securityToken");
  if (!r->secret_id || !r->secret_key || !r->bucket || !r->key)
    return *err = "missing secretId/secretKey/bucket/key", -1;
  if (oracle_int(o, "start", &r->start) || oracle_int(o, "end", &r->end))
    return *err = "missing start/end", -1;
  if (oracle_int(o, "minSize", &r->min_size)) r->min_size = 0;
  if (oracle_int(o, "maxSize", &r->max_size)) r->max_size = 0;
  return oracle_extra(cJSON_GetObjectItemCaseSensitive(o, "extra"), p, err);
}

void oracle_policy_free(oracle_policy_t *p) {
  free(p->extra);
  p->extra = NULL;
}

sgw_kv_t *oracle_kv_object(const cJSON *obj, size_t *n) {
  sgw_kv_t *kv = calloc(oracle_count(obj) + 1, sizeof(*kv));

  *n = 0;
  if (kv == NULL) return NULL;
  for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next) {
    if (!cJSON_IsString(c)) continue;
    kv[(*n)++] = (sgw_kv_t){c->string, strlen(c->string), c->valuestring,
                            strlen(c->valuestring)};
  }
  return kv;
}

int oracle_presign_from_json(const cJSON *o, sgw_cos_presign_t *p,
                             const char **err) {
  memset(p, 0, sizeof(*p));
  p->secret_id = oracle_str(o, "secretId");
  p->secret_key = oracle_str(o, "secretKey");
  p->security_token = oracle_str(o, "securityToken");
  p->scheme = oracle_str(o, "scheme");
  p->host = oracle_str(o, "host");
  p->method = oracle_str(o, "method");
  p->key = oracle_str(o, "key");
  p->key_len = p->key ? strlen(p->key) : 0;
  if (oracle_int(o, "start", &p->start) || oracle_int(o, "end", &p->end))
    return *err = "missing start/end", -1;
  p->headers = oracle_kv_object(cJSON_GetObjectItemCaseSensitive(o, "headers"),
                                &p->nheaders);
  p->params = oracle_kv_object(cJSON_GetObjectItemCaseSensitive(o, "query"),
                               &p->nparams);
  if (p->headers == NULL || p->params == NULL)
    return *err = "out of memory", -1;
  return 0;
}

void oracle_presign_free(sgw_cos_presign_t *p) {
  free((void *)p->headers);
  free((void *)p->params);
  p->headers = p->params = NULL;
}
