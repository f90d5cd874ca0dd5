/* Verification of COS request signatures and POST Object forms (see
 * cos_verify.h). The signature itself comes from cos.c, the code that
 * signs; this file only finds the signed fields in what arrived. */
#include "signgw/cos_verify.h"

#include <stdlib.h>
#include <string.h>

#include "sign/cos_int.h"
#include "sign/signer_int.h"
#include "signgw/crypto.h"
#include "signgw/error.h"
#include "signgw/json.h"
#include "signgw/url.h"

/* ------------------------------------------------------------------ */
/* Reasons                                                             */

static const struct {
  const char *code;
  const char *message;
} deny_text[] = {
    [0] = {"AccessDenied", "Access Denied."},
    [SGW_COS_DENY_MISSING] = {"AccessDenied",
                              "Access Denied: the request is not signed."},
    [SGW_COS_DENY_MALFORMED] = {"AccessDenied",
                                "The signature fields are malformed."},
    [SGW_COS_DENY_ALGORITHM] = {"AccessDenied",
                                "q-sign-algorithm must be sha1."},
    [SGW_COS_DENY_UNKNOWN_ID] = {"InvalidAccessKeyId",
                                 "The SecretId does not exist."},
    [SGW_COS_DENY_TOKEN] = {"InvalidAccessKeyId",
                            "The security token is missing or does not "
                            "belong to the SecretId."},
    [SGW_COS_DENY_NOT_YET] = {"RequestTimeTooSkewed",
                              "The signature is not valid yet."},
    [SGW_COS_DENY_EXPIRED] = {"AccessDenied", "Request has expired"},
    [SGW_COS_DENY_HEADER_LIST] = {"SignatureDoesNotMatch",
                                  "A header named in q-header-list did not "
                                  "arrive."},
    [SGW_COS_DENY_PARAM_LIST] = {"SignatureDoesNotMatch",
                                 "A parameter named in q-url-param-list did "
                                 "not arrive."},
    [SGW_COS_DENY_SIGNATURE] = {"SignatureDoesNotMatch",
                                "The request signature we calculated does "
                                "not match the signature you provided."},
    [SGW_COS_DENY_FORM] = {"InvalidArgument",
                           "The POST form repeats a field or has no key."},
    [SGW_COS_DENY_POLICY] = {"InvalidPolicyDocument",
                             "Invalid Policy: not a base64 JSON policy "
                             "document."},
    [SGW_COS_DENY_POLICY_UNKNOWN] = {"InvalidPolicyDocument",
                                     "Invalid Policy: unknown condition "
                                     "type."},
    [SGW_COS_DENY_POLICY_EXPIRED] = {"AccessDenied",
                                     "Invalid according to Policy: Policy "
                                     "expired."},
    [SGW_COS_DENY_CONDITION] = {"AccessDenied",
                                "Invalid according to Policy: Policy "
                                "Condition failed."},
    [SGW_COS_DENY_TOO_SMALL] = {"EntityTooSmall",
                                "Your proposed upload is smaller than the "
                                "minimum allowed size."},
    [SGW_COS_DENY_TOO_LARGE] = {"EntityTooLarge",
                                "Your proposed upload exceeds the maximum "
                                "allowed size."},
};

#define DENY_COUNT (sizeof(deny_text) / sizeof(deny_text[0]))

const char *sgw_cos_deny_code(int reason) {
  return deny_text[reason > 0 && (size_t)reason < DENY_COUNT ? reason : 0]
      .code;
}

const char *sgw_cos_deny_message(int reason) {
  return deny_text[reason > 0 && (size_t)reason < DENY_COUNT ? reason : 0]
      .message;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int equal_ci(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen)
    return 0;
  for (size_t i = 0; i < alen; i++)
    if (lower(a[i]) != lower(b[i]))
      return 0;
  return 1;
}

static int equal_ci_z(const char *a, size_t alen, const char *z) {
  return equal_ci(a ? a : "", alen, z, strlen(z));
}

/* Constant time for equal lengths; the length itself is not secret. */
static int equal_ct(const char *a, size_t alen, const char *b, size_t blen) {
  return alen == blen && sgw_equal(a, b, alen);
}

/* The fields of a signature, wherever they arrived. */
enum {
  F_ALGORITHM,
  F_AK,
  F_SIGN_TIME,
  F_KEY_TIME,
  F_HEADER_LIST,
  F_PARAM_LIST,
  F_SIGNATURE,
  F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "q-sign-algorithm", "q-ak",           "q-sign-time", "q-key-time",
    "q-header-list",    "q-url-param-list", "q-signature"};

typedef struct auth_field_s {
  const char *p;
  size_t len;
  int seen;
} auth_field_t;

/* Index of an auth field name (exact, as the SDK writes it), or -1. */
static int field_index(const char *name, size_t len) {
  for (int i = 0; i < F_COUNT; i++)
    if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
      return i;
  return -1;
}

/* Records a field; 0, or MALFORMED when it repeats. */
static int field_set(auth_field_t *f, int i, const char *p, size_t len) {
  if (f[i].seen)
    return SGW_COS_DENY_MALFORMED;
  f[i].p = p ? p : "";
  f[i].len = len;
  f[i].seen = 1;
  return 0;
}

/* A key time copied as text (the signature covers the text as sent) and
 * parsed. */
typedef struct key_time_s {
  char text[SGW__SIGNER_KEY_TIME_MAX];
  int64_t start, end;
} key_time_t;

static int key_time_read(const auth_field_t *f, key_time_t *kt) {
  if (f->len >= sizeof(kt->text) ||
      sgw__cos_parse_key_time(f->p, f->len, &kt->start, &kt->end) < 0)
    return SGW_COS_DENY_MALFORMED;
  memcpy(kt->text, f->p, f->len);
  kt->text[f->len] = '\0';
  return 0;
}

static int key_time_check(const key_time_t *kt, int64_t now) {
  if (now < kt->start)
    return SGW_COS_DENY_NOT_YET;
  if (now > kt->end)
    return SGW_COS_DENY_EXPIRED;
  return 0;
}

/* The signed id, its secret, the algorithm and the time windows: common
 * to requests and forms. `sign_time` may be NULL (forms have one time). */
static int check_credentials(const auth_field_t *f, key_time_t *key_time,
                             key_time_t *sign_time, int64_t now,
                             sgw_cos_lookup_fn lookup, void *arg,
                             sgw_cos_secret_t *secret) {
  int rc;

  if (!(f[F_ALGORITHM].len == 4 && memcmp(f[F_ALGORITHM].p, "sha1", 4) == 0))
    return SGW_COS_DENY_ALGORITHM;
  if ((rc = key_time_read(&f[F_KEY_TIME], key_time)) != 0 ||
      (sign_time && (rc = key_time_read(&f[F_SIGN_TIME], sign_time)) != 0))
    return rc;
  memset(secret, 0, sizeof(*secret));
  if (f[F_AK].len == 0 || lookup(arg, f[F_AK].p, f[F_AK].len, secret) != 0 ||
      secret->secret_key == NULL || secret->secret_key[0] == '\0')
    return SGW_COS_DENY_UNKNOWN_ID;
  if ((sign_time && (rc = key_time_check(sign_time, now)) != 0) ||
      (rc = key_time_check(key_time, now)) != 0)
    return rc;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

/* What arrived, decoded, and where the signature fields are. */
typedef struct verify_s {
  const sgw_cos_request_t *r;
  sgw_buf_t text;          /* decoded query names and values */
  sgw_kv_t *params;        /* every query parameter, decoded */
  int *is_auth;            /* 1: a q-* field of a presigned URL */
  int in_query;            /* the signature is in the query */
  size_t nparams;
  auth_field_t f[F_COUNT];
} verify_t;

/* Decodes the query into v->params. MALFORMED on a bad escape. */
static int parse_query(verify_t *v) {
  const sgw_cos_request_t *r = v->r;
  sgw_query_iter_t it;
  const char *k, *val;
  size_t klen, vlen, n = 1, *off;
  int has, rc;

  for (size_t i = 0; i < r->query_len; i++)
    n += r->query[i] == '&';
  if ((v->params = calloc(n, sizeof(*v->params))) == NULL ||
      (v->is_auth = calloc(n, sizeof(*v->is_auth))) == NULL ||
      (off = calloc(2 * n, sizeof(*off))) == NULL)
    return SGW_ENOMEM;
  sgw_query_init(&it, r->query, r->query_len);
  rc = 0;
  while (rc == 0 && sgw_query_next(&it, &k, &klen, &val, &vlen, &has)) {
    /* Offsets first: the buffer may move as it grows. */
    off[2 * v->nparams] = v->text.len;
    if ((rc = sgw_url_decode(&v->text, k, klen, 0)) < 0)
      break;
    v->params[v->nparams].name_len = v->text.len - off[2 * v->nparams];
    off[2 * v->nparams + 1] = v->text.len;
    if ((rc = sgw_url_decode(&v->text, val, vlen, 0)) < 0)
      break;
    v->params[v->nparams].value_len = v->text.len - off[2 * v->nparams + 1];
    v->nparams++;
  }
  for (size_t i = 0; rc == 0 && i < v->nparams; i++) {
    v->params[i].name = v->text.base + off[2 * i];
    v->params[i].value = v->text.base + off[2 * i + 1];
  }
  free(off);
  if (rc == SGW_EINVAL)
    return SGW_COS_DENY_MALFORMED;
  return rc;
}

/* "a=1&b=2" of an Authorization header into v->f. Only the seven q-*
 * fields are allowed, each once. */
static int parse_auth_header(verify_t *v, const char *s, size_t len) {
  sgw_query_iter_t it;
  const char *k, *val;
  size_t klen, vlen;
  int has, i, rc;

  sgw_query_init(&it, s, len);
  while (sgw_query_next(&it, &k, &klen, &val, &vlen, &has)) {
    if ((i = field_index(k, klen)) < 0 || !has)
      return SGW_COS_DENY_MALFORMED;
    if ((rc = field_set(v->f, i, val, vlen)) != 0)
      return rc;
  }
  return 0;
}

/* Finds the signature: the Authorization header, or the q-* parameters. */
static int find_auth(verify_t *v) {
  const sgw_cos_request_t *r = v->r;
  const sgw_kv_t *auth = NULL;
  int any = 0, rc, i;

  for (size_t h = 0; h < r->nheaders; h++) {
    if (!equal_ci_z(r->headers[h].name, r->headers[h].name_len,
                    "authorization"))
      continue;
    if (auth != NULL)
      return SGW_COS_DENY_MALFORMED;
    auth = &r->headers[h];
  }
  if (auth != NULL) {
    if ((rc = parse_auth_header(v, auth->value ? auth->value : "",
                                auth->value_len)) != 0)
      return rc;
    any = 1;
  } else {
    for (size_t p = 0; p < v->nparams; p++) {
      if ((i = field_index(v->params[p].name, v->params[p].name_len)) < 0)
        continue;
      v->is_auth[p] = 1;
      v->in_query = 1;
      any = 1;
      if ((rc = field_set(v->f, i, v->params[p].value,
                          v->params[p].value_len)) != 0)
        return rc;
    }
  }
  if (!any)
    return SGW_COS_DENY_MISSING;
  for (i = 0; i < F_COUNT; i++)
    if (!v->f[i].seen)
      return SGW_COS_DENY_MALFORMED;
  return 0;
}

/* The security token, when the id needs one: every copy that arrived
 * (header or query parameter) must equal it, and one must arrive. */
static int check_token(verify_t *v, const char *token) {
  const sgw_cos_request_t *r = v->r;
  int found = 0, headers = 0, params = 0;
  size_t tlen;

  if (token == NULL)
    return 0;
  tlen = strlen(token);
  for (size_t h = 0; h < r->nheaders; h++) {
    const sgw_kv_t *kv = &r->headers[h];
    if (!equal_ci_z(kv->name, kv->name_len, "x-cos-security-token"))
      continue;
    if (headers++ || !equal_ct(kv->value ? kv->value : "", kv->value_len,
                               token, tlen))
      return SGW_COS_DENY_TOKEN;
    found = 1;
  }
  for (size_t p = 0; p < v->nparams; p++) {
    const sgw_kv_t *kv = &v->params[p];
    if (kv->name_len != 20 || memcmp(kv->name, "x-cos-security-token", 20))
      continue;
    if (params++ || !equal_ct(kv->value, kv->value_len, token, tlen))
      return SGW_COS_DENY_TOKEN;
    found = 1;
  }
  return found ? 0 : SGW_COS_DENY_TOKEN;
}

typedef struct span_s {
  const char *p;
  size_t len;
} span_t;

/* The list's ';'-separated entries into *out (the caller frees it). An
 * empty list has none; an empty entry stands for an empty name (the SDK
 * lists a parameter named "" that way). */
static int split_list(const auth_field_t *f, span_t **out, size_t *n) {
  size_t count = 1, start = 0;

  *out = NULL;
  *n = 0;
  if (f->len == 0)
    return 0;
  for (size_t i = 0; i < f->len; i++)
    count += f->p[i] == ';';
  if ((*out = calloc(count, sizeof(**out))) == NULL)
    return SGW_ENOMEM;
  for (size_t i = 0; i <= f->len; i++) {
    if (i < f->len && f->p[i] != ';')
      continue;
    (*out)[(*n)++] = (span_t){f->p + start, i - start};
    start = i + 1;
  }
  return 0;
}

/* How a list entry names a pair. In an Authorization header the lists are
 * text as the SDK wrote them: encoded, lower-cased names. A presigned URL
 * carries its lists in the query, which is decoded before they are read:
 * the SDK encodes the parameter list once more for that, not the header
 * list, and other SDKs encode neither, so there a list may hold encoded
 * names or the names themselves. One list is read one way throughout:
 * mixing the two would let "%ff" name both itself and the byte 0xff. */
enum { NAMES_ENCODED, NAMES_RAW };

static int entry_names(const span_t *e, const sgw__cos_pair_t *p, int how) {
  if (how == NAMES_ENCODED)
    return equal_ci(p->enc, p->enc_len, e->p, e->len);
  return equal_ci(p->kv->name ? p->kv->name : "", p->kv->name_len, e->p,
                  e->len);
}

/* Selects from kv (less those with skip[i] set) the pairs the list names,
 * ASCII case aside: every listed name must match exactly as many pairs as
 * it is listed times, and no pair may be named by two different entries.
 * The selection (in *out, which the caller frees) keeps arrival order
 * among pairs of one name, the order the SDK's stable sort kept when it
 * signed them. */
static int select_listed(const auth_field_t *f, const sgw_kv_t *kv, size_t n,
                         const int *skip, int how, int reason, sgw_kv_t **out,
                         size_t *nout) {
  sgw__cos_set_t all;
  span_t *list = NULL;
  size_t nlist = 0, *idx = NULL;
  char *used = NULL;
  int rc;

  *out = NULL;
  *nout = 0;
  sgw__cos_set_init(&all);
  if ((rc = split_list(f, &list, &nlist)) != 0 || nlist == 0)
    goto done;
  if ((rc = sgw__cos_set_build(&all, kv, n, 0)) < 0)
    goto done;
  /* At most every pair is selected, whatever the list says. */
  if ((*out = calloc(all.n ? all.n : 1, sizeof(**out))) == NULL ||
      (idx = calloc(all.n ? all.n : 1, sizeof(*idx))) == NULL ||
      (used = calloc(all.n ? all.n : 1, 1)) == NULL) {
    rc = SGW_ENOMEM;
    goto done;
  }
  for (size_t e = 0; e < nlist; e++) {
    size_t listed = 0, arrived = 0, k;
    /* A repeated name is handled at its first entry. */
    for (k = 0; k < e; k++)
      if (equal_ci(list[k].p, list[k].len, list[e].p, list[e].len))
        break;
    if (k < e)
      continue;
    for (k = e; k < nlist; k++)
      listed += equal_ci(list[k].p, list[k].len, list[e].p, list[e].len);
    for (size_t i = 0; i < all.n; i++) {
      if ((skip && skip[all.v[i].index]) || !entry_names(&list[e], &all.v[i], how))
        continue;
      if (used[i]) { /* named by another entry too */
        rc = reason;
        goto done;
      }
      used[i] = 1;
      idx[arrived++] = all.v[i].index;
    }
    if (arrived != listed) {
      rc = reason;
      goto done;
    }
    for (size_t i = 0; i < arrived; i++)
      (*out)[(*nout)++] = kv[idx[i]];
  }
  rc = 0;

done:
  free(list);
  free(idx);
  free(used);
  sgw__cos_set_free(&all);
  if (rc != 0) {
    free(*out);
    *out = NULL;
    *nout = 0;
  }
  return rc;
}

/* The signature of the pairs one reading of the lists selects: 0 when
 * it matches, SIGNATURE when not, the list's reason when the reading
 * selects nothing consistent, or an error. */
static int try_reading(sgw_signer_t *signer, verify_t *v,
                       const sgw_cos_secret_t *secret,
                       const key_time_t *key_time,
                       const key_time_t *sign_time, int hhow, int phow) {
  const sgw_cos_request_t *r = v->r;
  sgw__cos_set_t params, headers;
  sgw_kv_t *hsel = NULL, *psel = NULL;
  size_t nh, np;
  char sig[2 * SGW_SHA1_LEN + 1];
  int rc;

  sgw__cos_set_init(&params);
  sgw__cos_set_init(&headers);
  if ((rc = select_listed(&v->f[F_HEADER_LIST], r->headers, r->nheaders,
                          NULL, hhow, SGW_COS_DENY_HEADER_LIST, &hsel,
                          &nh)) != 0 ||
      (rc = select_listed(&v->f[F_PARAM_LIST], v->params, v->nparams,
                          v->is_auth, phow, SGW_COS_DENY_PARAM_LIST, &psel,
                          &np)) != 0 ||
      (rc = sgw__cos_set_build(&headers, hsel, nh, 0)) < 0 ||
      (rc = sgw__cos_set_build(&params, psel, np, 0)) < 0 ||
      (rc = sgw__cos_signature(signer, secret->secret_key, key_time->text,
                               sign_time->text, r->method, r->path,
                               r->path_len, &params, &headers, sig)) < 0)
    goto done;
  rc = equal_ct(v->f[F_SIGNATURE].p, v->f[F_SIGNATURE].len, sig,
                2 * SGW_SHA1_LEN)
           ? 0
           : SGW_COS_DENY_SIGNATURE;

done:
  sgw__cos_set_free(&params);
  sgw__cos_set_free(&headers);
  free(hsel);
  free(psel);
  return rc;
}

/* An Authorization header has one reading of its lists; a presigned URL
 * up to four (see entry_names), and the signature decides between them.
 * Refused, the reason is the furthest any reading got: a header list
 * nothing reads, else a parameter list nothing reads, else the
 * signature. */
static int verify_request(sgw_signer_t *signer, verify_t *v) {
  const sgw_cos_request_t *r = v->r;
  sgw_cos_secret_t secret;
  key_time_t key_time, sign_time;
  int last, rc, best = 0;

  if ((rc = parse_query(v)) != 0 || (rc = find_auth(v)) != 0 ||
      (rc = check_credentials(v->f, &key_time, &sign_time, r->now, r->lookup,
                              r->lookup_arg, &secret)) != 0 ||
      (rc = check_token(v, secret.security_token)) != 0)
    return rc;
  last = v->in_query ? NAMES_RAW : NAMES_ENCODED;
  for (int hhow = NAMES_ENCODED; hhow <= last; hhow++) {
    for (int phow = NAMES_ENCODED; phow <= last; phow++) {
      rc = try_reading(signer, v, &secret, &key_time, &sign_time, hhow, phow);
      if (rc <= 0) /* accepted, or an error */
        return rc;
      if (rc > best)
        best = rc;
    }
  }
  return best;
}

static int request_valid(const sgw_cos_request_t *r) {
  return r && r->method && r->method[0] && (r->path || r->path_len == 0) &&
         (r->query || r->query_len == 0) &&
         (r->headers || r->nheaders == 0) && r->lookup;
}

int sgw_cos_verify_request(sgw_signer_t *signer, const sgw_cos_request_t *r) {
  sgw_signer_t *tmp;
  verify_t v;
  int rc;

  if (!request_valid(r))
    return SGW_EINVAL;
  for (size_t i = 0; i < r->nheaders; i++)
    if ((!r->headers[i].name && r->headers[i].name_len) ||
        (!r->headers[i].value && r->headers[i].value_len))
      return SGW_EINVAL;
  if ((rc = sgw__signer_use(signer, &signer, &tmp)) < 0)
    return rc;
  memset(&v, 0, sizeof(v));
  v.r = r;
  sgw_buf_init(&v.text);
  rc = verify_request(signer, &v);
  sgw_buf_free(&v.text);
  free(v.params);
  free(v.is_auth);
  sgw_signer_free(tmp);
  return rc;
}

/* ------------------------------------------------------------------ */
/* POST Object forms                                                   */

typedef struct form_s {
  const sgw_cos_form_t *f;
  auth_field_t q[F_COUNT];
  const sgw_kv_t *policy, *key;
} form_t;

/* The field named `name` (any case), or NULL. */
static const sgw_kv_t *form_get(const sgw_cos_form_t *f, const char *name,
                                size_t len) {
  for (size_t i = 0; i < f->nfields; i++)
    if (equal_ci(f->fields[i].name ? f->fields[i].name : "",
                 f->fields[i].name_len, name, len))
      return &f->fields[i];
  return NULL;
}

static const sgw_kv_t *form_get_z(const sgw_cos_form_t *f, const char *z) {
  return form_get(f, z, strlen(z));
}

/* No field twice; the signature fields and the policy, if any arrived. */
static int form_read(form_t *c) {
  const sgw_cos_form_t *f = c->f;
  int any = 0;

  for (size_t i = 0; i < f->nfields; i++)
    for (size_t j = i + 1; j < f->nfields; j++)
      if (equal_ci(f->fields[i].name ? f->fields[i].name : "",
                   f->fields[i].name_len,
                   f->fields[j].name ? f->fields[j].name : "",
                   f->fields[j].name_len))
        return SGW_COS_DENY_FORM;
  if ((c->key = form_get_z(f, "key")) == NULL)
    return SGW_COS_DENY_FORM;
  for (int i = 0; i < F_COUNT; i++) {
    const sgw_kv_t *kv;
    /* A form carries q-key-time; the policy names q-sign-time. */
    if (i == F_SIGN_TIME || i == F_HEADER_LIST || i == F_PARAM_LIST)
      continue;
    if ((kv = form_get_z(f, field_names[i])) != NULL) {
      field_set(c->q, i, kv->value, kv->value_len);
      any = 1;
    }
  }
  if ((c->policy = form_get_z(f, "policy")) != NULL)
    any = 1;
  if (!any)
    return SGW_COS_DENY_MISSING;
  if (c->policy == NULL || !c->q[F_ALGORITHM].seen || !c->q[F_AK].seen ||
      !c->q[F_KEY_TIME].seen || !c->q[F_SIGNATURE].seen)
    return SGW_COS_DENY_MALFORMED;
  return 0;
}

static int digits(const char *p, size_t n, int64_t *out) {
  int64_t v = 0;

  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return 0;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's
 * days_from_civil; the inverse of the one cos.c writes dates with). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z", or with a signed six-digit year (as
 * Date.prototype.toISOString writes years outside 0..9999), to unix
 * seconds (a fraction is dropped: it can only end the policy later within
 * the second, and `now` is whole seconds). */
static int parse_iso8601(const char *s, size_t len, int64_t *out) {
  int64_t y, mo, d, h, mi, sec;
  size_t yl = 4, i;
  int neg = 0;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  if (len > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++, len--, yl = 6;
  }
  if (len < yl + 16 || digits(s, yl, &y) < 0 || s[yl] != '-' ||
      digits(s + yl + 1, 2, &mo) < 0 || s[yl + 3] != '-' ||
      digits(s + yl + 4, 2, &d) < 0 || s[yl + 6] != 'T' ||
      digits(s + yl + 7, 2, &h) < 0 || s[yl + 9] != ':' ||
      digits(s + yl + 10, 2, &mi) < 0 || s[yl + 12] != ':' ||
      digits(s + yl + 13, 2, &sec) < 0)
    return -1;
  i = yl + 15;
  if (i < len && s[i] == '.') {
    size_t f = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == f || i - f > 9)
      return -1;
  }
  if (i + 1 != len || s[i] != 'Z')
    return -1;
  if (neg)
    y = -y;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
      sec > 59)
    return -1;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return -1;
  *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  return 0;
}

/* The value a condition's field name stands for ("" when absent). */
static void cond_value(const form_t *c, const char *name, size_t len,
                       const char **v, size_t *vlen) {
  const sgw_kv_t *kv;

  if (equal_ci(name, len, "bucket", 6)) {
    *v = c->f->bucket;
    *vlen = strlen(c->f->bucket);
    return;
  }
  if (equal_ci(name, len, "q-sign-time", 11) &&
      form_get(c->f, name, len) == NULL) {
    *v = c->q[F_KEY_TIME].p;
    *vlen = c->q[F_KEY_TIME].len;
    return;
  }
  kv = form_get(c->f, name, len);
  *v = kv && kv->value ? kv->value : "";
  *vlen = kv ? kv->value_len : 0;
}

/* ["op", "$field", "value"] or {"field": "value"}: the name (without
 * '$') and the string value, or POLICY. */
static int cond_field(const sgw_json_t *name_node, int dollar,
                      const sgw_json_t *value, const char **name,
                      size_t *len) {
  if (value->type != SGW_JSON_STRING)
    return SGW_COS_DENY_POLICY;
  if (dollar) {
    if (name_node->type != SGW_JSON_STRING || name_node->len < 2 ||
        name_node->str[0] != '$')
      return SGW_COS_DENY_POLICY;
    *name = name_node->str + 1;
    *len = name_node->len - 1;
  } else {
    *name = name_node->name;
    *len = name_node->name_len;
  }
  return 0;
}

static int check_condition(const form_t *c, const sgw_json_t *cond,
                           sgw_cos_length_range_t *range) {
  const sgw_json_t *op, *a, *b;
  const char *name, *v;
  size_t len, vlen;
  int rc;

  if (cond->type == SGW_JSON_OBJECT) {
    /* A simple condition has exactly one member. */
    if (cond->count != 1 ||
        (rc = cond_field(cond->child, 0, cond->child, &name, &len)) != 0)
      return SGW_COS_DENY_POLICY;
    cond_value(c, name, len, &v, &vlen);
    return vlen == cond->child->len && memcmp(v, cond->child->str, vlen) == 0
               ? 0
               : SGW_COS_DENY_CONDITION;
  }
  if (cond->type != SGW_JSON_ARRAY || cond->count != 3 ||
      cond->child->type != SGW_JSON_STRING)
    return SGW_COS_DENY_POLICY;
  op = cond->child;
  a = op->next;
  b = a->next;
  if (op->len == 20 && memcmp(op->str, "content-length-range", 20) == 0) {
    if (a->type != SGW_JSON_NUMBER || !a->is_integer ||
        b->type != SGW_JSON_NUMBER || !b->is_integer || a->integer < 0 ||
        b->integer < a->integer)
      return SGW_COS_DENY_POLICY;
    if (a->integer > range->min)
      range->min = a->integer;
    if (b->integer < range->max)
      range->max = b->integer;
    return 0;
  }
  if (!(op->len == 2 && memcmp(op->str, "eq", 2) == 0) &&
      !(op->len == 11 && memcmp(op->str, "starts-with", 11) == 0))
    return SGW_COS_DENY_POLICY_UNKNOWN;
  if ((rc = cond_field(a, 1, b, &name, &len)) != 0)
    return rc;
  cond_value(c, name, len, &v, &vlen);
  if (op->len == 2) /* eq */
    return vlen == b->len && memcmp(v, b->str, vlen) == 0
               ? 0
               : SGW_COS_DENY_CONDITION;
  return vlen >= b->len && memcmp(v, b->str, b->len) == 0
             ? 0
             : SGW_COS_DENY_CONDITION;
}

/* The document: {"expiration": "...", "conditions": [...]}, nothing else. */
static int check_policy(const form_t *c, const sgw_json_t *root,
                        sgw_cos_length_range_t *range) {
  const sgw_json_t *exp, *conds;
  int64_t expires;
  int rc;

  if (root->type != SGW_JSON_OBJECT || root->count != 2 ||
      (exp = sgw_json_get(root, "expiration")) == NULL ||
      (conds = sgw_json_get(root, "conditions")) == NULL ||
      exp->type != SGW_JSON_STRING || conds->type != SGW_JSON_ARRAY ||
      parse_iso8601(exp->str, exp->len, &expires) < 0)
    return SGW_COS_DENY_POLICY;
  /* Every condition is well-formed and known before any is judged, so a
   * bad document is always reported as such. */
  for (const sgw_json_t *cond = conds->child; cond; cond = cond->next) {
    sgw_cos_length_range_t scratch = {0, INT64_MAX};
    rc = check_condition(c, cond, &scratch);
    if (rc == SGW_COS_DENY_POLICY || rc == SGW_COS_DENY_POLICY_UNKNOWN)
      return rc;
  }
  if (c->f->now > expires)
    return SGW_COS_DENY_POLICY_EXPIRED;
  for (const sgw_json_t *cond = conds->child; cond; cond = cond->next)
    if ((rc = check_condition(c, cond, range)) != 0)
      return rc;
  return 0;
}

static int verify_post(sgw_signer_t *signer, form_t *c,
                       sgw_cos_length_range_t *range) {
  const sgw_cos_form_t *f = c->f;
  sgw_cos_secret_t secret;
  key_time_t key_time;
  sgw_json_doc_t doc = {0};
  const sgw_kv_t *tok;
  unsigned char *text = NULL;
  size_t tlen = 0;
  char sig[2 * SGW_SHA1_LEN + 1];
  int rc;

  if ((rc = form_read(c)) != 0 ||
      (rc = check_credentials(c->q, &key_time, NULL, f->now, f->lookup,
                              f->lookup_arg, &secret)) != 0)
    return rc;
  if (secret.security_token != NULL &&
      ((tok = form_get_z(f, "x-cos-security-token")) == NULL ||
       !equal_ct(tok->value ? tok->value : "", tok->value_len,
                 secret.security_token, strlen(secret.security_token))))
    return SGW_COS_DENY_TOKEN;
  if ((text = malloc(c->policy->value_len / 4 * 3 + 4)) == NULL)
    return SGW_ENOMEM;
  if (sgw_base64_decode(c->policy->value ? c->policy->value : "",
                        c->policy->value_len, text, &tlen, 0) < 0) {
    rc = SGW_COS_DENY_POLICY;
    goto done;
  }
  /* The signature covers the policy text: check it before believing a
   * word of it. */
  if ((rc = sgw__cos_policy_signature(signer, secret.secret_key,
                                      key_time.text, (const char *)text, tlen,
                                      sig)) < 0)
    goto done;
  if (!equal_ct(c->q[F_SIGNATURE].p, c->q[F_SIGNATURE].len, sig,
                2 * SGW_SHA1_LEN)) {
    rc = SGW_COS_DENY_SIGNATURE;
    goto done;
  }
  rc = sgw_json_parse(&doc, (const char *)text, tlen, 8);
  if (rc == SGW_EINVAL)
    rc = SGW_COS_DENY_POLICY;
  if (rc == 0)
    rc = check_policy(c, doc.root, range);

done:
  sgw_json_doc_free(&doc);
  free(text);
  return rc;
}

static int form_valid(const sgw_cos_form_t *f) {
  if (!f || !f->bucket || !f->lookup || (!f->fields && f->nfields))
    return 0;
  for (size_t i = 0; i < f->nfields; i++)
    if ((!f->fields[i].name && f->fields[i].name_len) ||
        (!f->fields[i].value && f->fields[i].value_len))
      return 0;
  return 1;
}

int sgw_cos_verify_post(sgw_signer_t *signer, const sgw_cos_form_t *f,
                        sgw_cos_length_range_t *range) {
  sgw_signer_t *tmp;
  form_t c;
  int rc;

  if (!form_valid(f) || range == NULL)
    return SGW_EINVAL;
  range->min = 0;
  range->max = INT64_MAX;
  if ((rc = sgw__signer_use(signer, &signer, &tmp)) < 0)
    return rc;
  memset(&c, 0, sizeof(c));
  c.f = f;
  rc = verify_post(signer, &c, range);
  sgw_signer_free(tmp);
  if (rc != 0) {
    range->min = 0;
    range->max = -1; /* nothing fits a refused form */
  }
  return rc;
}

int sgw_cos_verify_post_length(const sgw_cos_length_range_t *range,
                               int64_t length) {
  if (range == NULL)
    return SGW_EINVAL;
  if (length < range->min)
    return SGW_COS_DENY_TOO_SMALL;
  if (length > range->max)
    return SGW_COS_DENY_TOO_LARGE;
  return 0;
}
