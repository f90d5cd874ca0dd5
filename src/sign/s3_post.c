/* S3 POST policies (see signgw/s3.h): the policy document the AWS SDK
 * for JavaScript v3 writes (createPresignedPost), with the fields a form
 * needs, signed with SigV4. */
#include "signgw/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/s3_int.h"
#include "signgw/error.h"
#include "signgw/json.h"

void sgw_s3_post_result_free(sgw_s3_post_result_t *res) {
  if (res == NULL)
    return;
  sgw_buf_free(&res->url);
  sgw_buf_free(&res->policy);
  sgw_buf_free(&res->policy_b64);
}

/* Field names the signature itself or the form needs. */
static int s3__reserved_field(const char *s, size_t n) {
  return sgw__s3_eq_ci(s, n, "key") || sgw__s3_eq_ci(s, n, "bucket") ||
         sgw__s3_eq_ci(s, n, "file") || sgw__s3_eq_ci(s, n, "policy") ||
         sgw__s3_eq_ci(s, n, "__proto__") || sgw__s3_reserved_query(s, n);
}

/* The conditions so far, to drop a repeat as the SDK's Set does. */
typedef struct s3__conds_s {
  size_t start[2 * SGW_S3_MAX_PAIRS + 16], len[2 * SGW_S3_MAX_PAIRS + 16];
  size_t n;
} s3__conds_t;

/* Appends the condition written since `mark` (after a ',' unless it is
 * the first), or takes it back when the same text is already there. */
static void s3__cond_end(sgw__s3_w_t *w, s3__conds_t *c, size_t mark) {
  size_t len;
  const char *text;

  if (w->rc < 0)
    return;
  text = w->b->base + mark;
  len = w->b->len - mark;
  for (size_t i = 0; i < c->n; i++)
    if (c->len[i] == len && memcmp(w->b->base + c->start[i], text, len) == 0) {
      w->b->len = mark - (c->n > 0 ? 1 : 0); /* its ',' too */
      w->b->base[w->b->len] = '\0';
      return;
    }
  if (c->n == sizeof(c->start) / sizeof(c->start[0])) {
    w->rc = SGW_EINVAL;
    return;
  }
  c->start[c->n] = mark;
  c->len[c->n++] = len;
}

static size_t s3__cond_begin(sgw__s3_w_t *w, const s3__conds_t *c) {
  if (c->n > 0)
    w_addc(w, ',');
  return w->b->len;
}

static void w_json(sgw__s3_w_t *w, const char *s, size_t n) {
  if (w->rc == 0)
    w->rc = sgw_json_string(w->b, s, n);
}

/* {"name":"value"} as a condition. */
static void s3__cond_pair(sgw__s3_w_t *w, s3__conds_t *c, const char *name,
                          size_t name_len, const char *value,
                          size_t value_len) {
  size_t mark = s3__cond_begin(w, c);
  w_addc(w, '{');
  w_json(w, name, name_len);
  w_addc(w, ':');
  w_json(w, value, value_len);
  w_addc(w, '}');
  s3__cond_end(w, c, mark);
}

int sgw_s3_post_policy(const sgw_s3_signer_t *s, const sgw_s3_post_t *p,
                       sgw_s3_post_result_t *res) {
  static const char filename[] = "${filename}";
  char scope[SGW__S3_SCOPE_MAX], expiration[17], iso[24];
  s3__conds_t *conds = NULL;
  size_t key_len, b64_len;
  sgw__s3_w_t w;
  int rc;

  if (res == NULL)
    return SGW_EINVAL;
  memset(res, 0, sizeof(*res));
  sgw_buf_init(&res->url);
  sgw_buf_init(&res->policy);
  sgw_buf_init(&res->policy_b64);
  if (p == NULL || sgw__s3_check_signer(s) < 0 ||
      sgw__s3_check_bucket(p->bucket) < 0 || p->key == NULL)
    return SGW_EINVAL;
  key_len = strlen(p->key);
  if (key_len == 0 || key_len > SGW_S3_KEY_MAX ||
      p->nfields > SGW_S3_MAX_PAIRS || (p->fields == NULL && p->nfields) ||
      p->nconditions > SGW_S3_MAX_PAIRS ||
      (p->conditions == NULL && p->nconditions))
    return SGW_EINVAL;
  if (!sgw__s3_date_ok(p->date) || p->expires < 1 ||
      p->expires > SGW_S3_DATE_MAX - p->date)
    return SGW_ERANGE;
  for (size_t i = 0; i < p->nfields; i++) {
    const sgw_kv_t *f = &p->fields[i];
    if (f->name == NULL || f->name_len == 0 ||
        f->name_len > SGW_S3_PAIR_NAME_MAX ||
        f->value_len > SGW_S3_PAIR_VALUE_MAX ||
        (f->value == NULL && f->value_len != 0) ||
        s3__reserved_field(f->name, f->name_len))
      return SGW_EINVAL;
    for (size_t j = 0; j < i; j++)
      if (p->fields[j].name_len == f->name_len &&
          memcmp(p->fields[j].name, f->name, f->name_len) == 0)
        return SGW_EINVAL;
  }
  for (size_t i = 0; i < p->nconditions; i++)
    if (p->conditions[i] == NULL ||
        (p->conditions[i][0] != '{' && p->conditions[i][0] != '['))
      return SGW_EINVAL;
  if ((conds = calloc(1, sizeof(*conds))) == NULL)
    return SGW_ENOMEM;

  sgw__s3_amz_date(p->date, res->amz_date);
  sgw__s3_scope(s, res->amz_date, scope);
  snprintf(res->credential, sizeof(res->credential), "%s/%s",
           s->access_key_id, scope);
  sgw__s3_amz_date(p->date + p->expires, expiration);
  /* new Date(...).toISOString() without the milliseconds. */
  snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", expiration,
           expiration + 4, expiration + 6, expiration + 9, expiration + 11,
           expiration + 13);

  w.b = &res->policy;
  w.rc = 0;
  w_adds(&w, "{\"expiration\":\"");
  w_adds(&w, iso);
  w_adds(&w, "\",\"conditions\":[");
  for (size_t i = 0; i < p->nconditions; i++) {
    size_t mark = s3__cond_begin(&w, conds);
    w_adds(&w, p->conditions[i]);
    s3__cond_end(&w, conds, mark);
  }
  for (size_t i = 0; i < p->nfields; i++)
    s3__cond_pair(&w, conds, p->fields[i].name, p->fields[i].name_len,
                  p->fields[i].value ? p->fields[i].value : "",
                  p->fields[i].value_len);
  s3__cond_pair(&w, conds, "bucket", 6, p->bucket, strlen(p->bucket));
  s3__cond_pair(&w, conds, "X-Amz-Algorithm", 15, SGW_S3_ALGORITHM, 16);
  s3__cond_pair(&w, conds, "X-Amz-Credential", 16, res->credential,
                strlen(res->credential));
  s3__cond_pair(&w, conds, "X-Amz-Date", 10, res->amz_date, 16);
  if (s->session_token != NULL)
    s3__cond_pair(&w, conds, "X-Amz-Security-Token", 20, s->session_token,
                  strlen(s->session_token));
  if (key_len >= sizeof(filename) - 1 &&
      memcmp(p->key + key_len - (sizeof(filename) - 1), filename,
             sizeof(filename) - 1) == 0) {
    size_t mark = s3__cond_begin(&w, conds);
    w_adds(&w, "[\"starts-with\",\"$key\",");
    w_json(&w, p->key, key_len - (sizeof(filename) - 1));
    w_addc(&w, ']');
    s3__cond_end(&w, conds, mark);
  } else {
    s3__cond_pair(&w, conds, "key", 3, p->key, key_len);
  }
  w_adds(&w, "]}");
  if ((rc = w.rc) < 0)
    goto done;

  if ((rc = sgw_buf_reserve(&res->policy_b64,
                            SGW_BASE64_LEN(res->policy.len))) < 0)
    goto done;
  sgw_base64_encode((const unsigned char *)res->policy.base, res->policy.len,
                    res->policy_b64.base, &b64_len, 0);
  res->policy_b64.len = b64_len;

  rc = sgw__s3_sign_with_key(s, res->amz_date, res->policy_b64.base,
                         res->policy_b64.len, res->signature);
  if (rc == 0)
    rc = sgw_s3_bucket_url(s, p->bucket, &res->url);

done:
  free(conds);
  return rc;
}
