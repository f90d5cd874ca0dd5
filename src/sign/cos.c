/* COS "q-sign" request signatures and POST Object policies (see cos.h).
 *
 * The reference is the official SDK (cos-nodejs-sdk-v5, util.getAuth), so
 * every choice below mirrors what that JavaScript does to its strings:
 * JS compares strings by UTF-16 code unit, Array.prototype.sort is stable,
 * and the SDK sorts twice with different keys (raw names for the string it
 * hashes, encoded names for the lists it publishes). */
#include "signgw/cos.h"

#include <stdlib.h>
#include <string.h>

#include "sign/cos_int.h"
#include "sign/signer_int.h"
#include "signgw/crypto.h"
#include "signgw/error.h"
#include "signgw/json.h"
#include "signgw/url.h"

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */

static char sgw__lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* A NULL name or value of length 0 is the empty string. */
static const char *sgw__str(const char *s) { return s ? s : ""; }

/* ASCII case-insensitive "does hay contain needle" (needle is lower-case). */
static int sgw__contains_ci(const char *hay, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++) {
    size_t j = 0;
    while (j < n && sgw__lower(hay[i + j]) == needle[j]) j++;
    if (j == n) return 1;
  }
  return 0;
}

static int sgw__equal_ci(const char *s, size_t len, const char *lower) {
  size_t n = strlen(lower);
  if (n != len) return 0;
  for (size_t i = 0; i < n; i++)
    if (sgw__lower(s[i]) != lower[i]) return 0;
  return 1;
}

/* The SDK signs only the headers COS itself checks (getSignHeaderObj):
 * a name that *contains* "x-cos-" or "x-ci-" anywhere (indexOf > -1, not
 * a prefix test), or one of a fixed list. Everything else (content-type,
 * user-agent, ...) is left out of both the hash and q-header-list. */
static int sgw__cos_signed_header(const char *name, size_t len) {
  static const char *const fixed[] = {
      "content-disposition", "content-encoding", "content-length",
      "content-md5", "expect", "expires", "host", "if-match",
      "if-modified-since", "if-none-match", "if-unmodified-since",
      "origin", "range", "transfer-encoding", "pic-operations"};
  if (sgw__contains_ci(name, len, "x-cos-") ||
      sgw__contains_ci(name, len, "x-ci-"))
    return 1;
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    if (sgw__equal_ci(name, len, fixed[i])) return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* UTF-16 code unit order over UTF-8 text                              */

/* Next code point of UTF-8 text, ASCII lower-cased. A byte that does not
 * start a well-formed sequence stands for itself: such input cannot come
 * from a JS string, we only need the order to be deterministic. */
static uint32_t sgw__utf8_next(const unsigned char **pp,
                               const unsigned char *end) {
  const unsigned char *p = *pp;
  uint32_t c = p[0], min;
  size_t n;
  if (c < 0x80) {
    *pp = p + 1;
    return (uint32_t)(unsigned char)sgw__lower((char)c);
  }
  if (c >= 0xf0 && c <= 0xf4) n = 3, c &= 0x07, min = 0x10000;
  else if (c >= 0xe0) n = 2, c &= 0x0f, min = 0x800;
  else if (c >= 0xc2 && c < 0xe0) n = 1, c &= 0x1f, min = 0x80;
  else n = 0, min = 0;
  if (n == 0 || (size_t)(end - p) <= n) goto raw;
  for (size_t i = 1; i <= n; i++) {
    if ((p[i] & 0xc0) != 0x80) goto raw;
    c = (c << 6) | (p[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) goto raw;
  *pp = p + n + 1;
  return c;
raw:
  *pp = p + 1;
  return p[0];
}

/* Maps a code point to a key whose numeric order is UTF-16 code unit
 * order: U+E000..U+FFFF sort after every supplementary character, whose
 * first unit is a surrogate (0xD800..0xDBFF). */
static uint32_t sgw__utf16_key(uint32_t c) {
  if (c >= 0x10000) return 0xd800 + (c - 0x10000);
  if (c >= 0xe000) return c + 0x100000;
  return c;
}

static int sgw__cmp_utf16_lower(const char *a, size_t alen, const char *b,
                                size_t blen) {
  const unsigned char *pa = (const unsigned char *)a, *ea = pa + alen;
  const unsigned char *pb = (const unsigned char *)b, *eb = pb + blen;
  while (pa < ea && pb < eb) {
    uint32_t ka = sgw__utf16_key(sgw__utf8_next(&pa, ea));
    uint32_t kb = sgw__utf16_key(sgw__utf8_next(&pb, eb));
    if (ka != kb) return ka < kb ? -1 : 1;
  }
  return (pa < ea) - (pb < eb);
}

/* ------------------------------------------------------------------ */
/* Canonical name/value sets                                           */

void sgw__cos_set_init(sgw__cos_set_t *s) {
  s->v = NULL;
  s->n = 0;
  sgw_buf_init(&s->names);
}

void sgw__cos_set_free(sgw__cos_set_t *s) {
  free(s->v);
  sgw_buf_free(&s->names);
}

/* Lower-cases the whole encoded name, hex digits included: the SDK runs
 * toLowerCase() on camSafeUrlEncode(name), so "%E4" is signed as "%e4". */
static int sgw__cos_set_add(sgw__cos_set_t *s, const sgw_kv_t *kv,
                            size_t index) {
  sgw__cos_pair_t *p = &s->v[s->n];
  int rc;
  p->kv = kv;
  p->index = index;
  p->enc_off = s->names.len;
  if ((rc = sgw_url_encode(&s->names, sgw__str(kv->name),
                           kv->name_len)) < 0)
    return rc;
  p->enc_len = s->names.len - p->enc_off;
  for (size_t i = p->enc_off; i < s->names.len; i++)
    s->names.base[i] = sgw__lower(s->names.base[i]);
  s->n++;
  return 0;
}

static int sgw__kv_valid(const sgw_kv_t *kv, size_t n) {
  if (n > 0 && kv == NULL) return 0;
  for (size_t i = 0; i < n; i++) {
    if (kv[i].name == NULL && kv[i].name_len > 0) return 0;
    if (kv[i].value == NULL && kv[i].value_len > 0) return 0;
  }
  return 1;
}

int sgw__cos_set_build(sgw__cos_set_t *s, const sgw_kv_t *kv, size_t n,
                       int only_signed) {
  int rc;
  if (!sgw__kv_valid(kv, n)) return SGW_EINVAL;
  if (n == 0) return 0;
  if ((s->v = calloc(n, sizeof(*s->v))) == NULL) return SGW_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (only_signed && !sgw__cos_signed_header(kv[i].name, kv[i].name_len))
      continue;
    if ((rc = sgw__cos_set_add(s, &kv[i], i)) < 0) return rc;
  }
  for (size_t i = 0; i < s->n; i++)  /* base is NULL if all names are "" */
    s->v[i].enc = s->names.base ? s->names.base + s->v[i].enc_off : "";
  return 0;
}

static int sgw__cmp_index(const sgw__cos_pair_t *a, const sgw__cos_pair_t *b) {
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Order of the hashed HttpString: raw names, lower-cased, UTF-16 order. */
static int sgw__cmp_raw(const void *x, const void *y) {
  const sgw__cos_pair_t *a = x, *b = y;
  int c = sgw__cmp_utf16_lower(sgw__str(a->kv->name), a->kv->name_len,
                               sgw__str(b->kv->name), b->kv->name_len);
  return c ? c : sgw__cmp_index(a, b);
}

/* Order of q-header-list / q-url-param-list: encoded names (all ASCII,
 * so byte order is code unit order). */
static int sgw__cmp_enc(const void *x, const void *y) {
  const sgw__cos_pair_t *a = x, *b = y;
  size_t n = a->enc_len < b->enc_len ? a->enc_len : b->enc_len;
  int c = n ? memcmp(a->enc, b->enc, n) : 0;
  if (c == 0 && a->enc_len != b->enc_len) c = a->enc_len < b->enc_len ? -1 : 1;
  return c ? c : sgw__cmp_index(a, b);
}

/* "k1=v1&k2=v2" with encoded names and encoded values, in raw-name order. */
static int sgw__cos_append_pairs(sgw_buf_t *out, sgw__cos_set_t *s) {
  int rc = 0;
  if (s->n) qsort(s->v, s->n, sizeof(*s->v), sgw__cmp_raw);
  for (size_t i = 0; i < s->n && rc == 0; i++) {
    const sgw__cos_pair_t *p = &s->v[i];
    if (i) rc = sgw_buf_appendc(out, '&');
    if (rc == 0) rc = sgw_buf_append(out, p->enc, p->enc_len);
    if (rc == 0) rc = sgw_buf_appendc(out, '=');
    if (rc == 0)
      rc = sgw_url_encode(out, sgw__str(p->kv->value),
                          p->kv->value_len);
  }
  return rc;
}

/* "k1;k2" in encoded-name order. */
int sgw__cos_append_list(sgw_buf_t *out, sgw__cos_set_t *s) {
  int rc = 0;
  if (s->n) qsort(s->v, s->n, sizeof(*s->v), sgw__cmp_enc);
  for (size_t i = 0; i < s->n && rc == 0; i++) {
    if (i) rc = sgw_buf_appendc(out, ';');
    if (rc == 0) rc = sgw_buf_append(out, s->v[i].enc, s->v[i].enc_len);
  }
  return rc;
}

/* ------------------------------------------------------------------ */
/* Signing                                                             */

void sgw_cos_key_time(int64_t start, int64_t end, char *out, size_t size) {
  char tmp[2 * SGW_INT_DEC_SIZE];
  size_t n;

  if (out == NULL || size == 0) return;
  n = sgw_int_to_dec(start, tmp);
  tmp[n++] = ';';
  n += sgw_int_to_dec(end, tmp + n);
  if (n >= size) n = size - 1;
  memcpy(out, tmp, n);
  out[n] = '\0';
}

static int sgw__cos_sign_valid(const sgw_cos_sign_t *r) {
  return r && r->secret_id && r->secret_id[0] && r->secret_key &&
         r->secret_key[0] && r->method && r->method[0] &&
         (r->path || r->path_len == 0) && r->end >= r->start;
}

/* method \n path \n params \n headers \n  — sorts both sets by raw name. */
static int sgw__cos_http_string(const char *method, const char *path,
                                size_t path_len, sgw__cos_set_t *params,
                                sgw__cos_set_t *headers, sgw_buf_t *out) {
  int rc = 0;
  for (const char *m = method; *m && rc == 0; m++)
    rc = sgw_buf_appendc(out, sgw__lower(*m));
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  /* The SDK prepends '/' unless the path already starts with one and
   * signs it without encoding. */
  if (rc == 0 && (path_len == 0 || path[0] != '/'))
    rc = sgw_buf_appendc(out, '/');
  if (rc == 0 && path_len) rc = sgw_buf_append(out, path, path_len);
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  if (rc == 0) rc = sgw__cos_append_pairs(out, params);
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  if (rc == 0) rc = sgw__cos_append_pairs(out, headers);
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  return rc;
}

/* A list as a presigned URL carries it, so that it reads as the SDK wrote
 * it once the URL's query is decoded. The list holds only [a-z0-9-_.~%]
 * and ';'. For q-url-param-list this is the SDK's getObjectUrl:
 * encodeURIComponent, lower-cased ('%' and ';' change). For
 * q-header-list the SDK changes nothing, which breaks names with an
 * encoded character; only '%' is encoded here, so a list without one is
 * the SDK's text. */
static int sgw__cos_append_url_list(sgw_buf_t *out, sgw__cos_set_t *s,
                                    int semicolon) {
  sgw_buf_t list;
  int rc;

  sgw_buf_init(&list);
  rc = sgw__cos_append_list(&list, s);
  for (size_t i = 0; rc == 0 && i < list.len; i++) {
    if (list.base[i] == '%')
      rc = sgw_buf_appends(out, "%25");
    else if (list.base[i] == ';' && semicolon)
      rc = sgw_buf_appends(out, "%3b");
    else
      rc = sgw_buf_appendc(out, list.base[i]);
  }
  sgw_buf_free(&list);
  return rc;
}

/* The Authorization value; in_url encodes the lists for a URL. */
static int sgw__cos_auth_string(const char *secret_id, const char *kt,
                                sgw__cos_set_t *params, sgw__cos_set_t *headers,
                                const char *sig, int in_url, sgw_buf_t *out) {
  int rc = sgw_buf_appends(out, "q-sign-algorithm=sha1&q-ak=");
  if (rc == 0) rc = sgw_buf_appends(out, secret_id);
  if (rc == 0) rc = sgw_buf_appends(out, "&q-sign-time=");
  if (rc == 0) rc = sgw_buf_appends(out, kt);
  if (rc == 0) rc = sgw_buf_appends(out, "&q-key-time=");
  if (rc == 0) rc = sgw_buf_appends(out, kt);
  if (rc == 0) rc = sgw_buf_appends(out, "&q-header-list=");
  if (rc == 0)
    rc = in_url ? sgw__cos_append_url_list(out, headers, 0)
                : sgw__cos_append_list(out, headers);
  if (rc == 0) rc = sgw_buf_appends(out, "&q-url-param-list=");
  if (rc == 0)
    rc = in_url ? sgw__cos_append_url_list(out, params, 1)
                : sgw__cos_append_list(out, params);
  if (rc == 0) rc = sgw_buf_appends(out, "&q-signature=");
  if (rc == 0) rc = sgw_buf_appends(out, sig);
  return rc;
}

/* "sha1\n<KeyTime>\n<hex(SHA1(HttpString))>\n" */
static int sgw__string_to_sign(sgw_buf_t *out, const char *kt,
                               const char *http_hash) {
  int rc = sgw_buf_appends(out, "sha1\n");
  if (rc == 0) rc = sgw_buf_appends(out, kt);
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  if (rc == 0) rc = sgw_buf_appends(out, http_hash);
  if (rc == 0) rc = sgw_buf_appendc(out, '\n');
  return rc;
}

int sgw__cos_signature(sgw_signer_t *signer, const char *secret,
                       const char *key_time, const char *sign_time,
                       const char *method, const char *path, size_t path_len,
                       sgw__cos_set_t *params, sgw__cos_set_t *headers,
                       char sig[2 * SGW_SHA1_LEN + 1]) {
  sgw_buf_t http, sts;
  char http_hash[2 * SGW_SHA1_LEN + 1];
  int rc;

  sgw_buf_init(&http);
  sgw_buf_init(&sts);
  /* Typical sizes, so the builders below do not grow them step by step. */
  if ((rc = sgw_buf_reserve(&http, 256)) < 0 ||
      (rc = sgw_buf_reserve(&sts, 96)) < 0 ||
      (rc = sgw__cos_http_string(method, path, path_len, params, headers,
                                 &http)) < 0 ||
      (rc = sgw__signer_sha1_hex(signer, http.base, http.len, http_hash)) < 0 ||
      (rc = sgw__string_to_sign(&sts, sign_time, http_hash)) < 0)
    goto done;
  rc = sgw__signer_cos_sign(signer, secret, key_time, sts.base, sts.len, sig);

done:
  sgw_buf_free(&http);
  sgw_buf_free(&sts);
  return rc;
}

int sgw_cos_authorization(sgw_signer_t *signer, const sgw_cos_sign_t *req,
                          sgw_buf_t *out) {
  sgw__cos_set_t params, headers;
  sgw_signer_t *tmp;
  char kt[48], sig[41];
  int rc;

  if (!sgw__cos_sign_valid(req) || out == NULL) return SGW_EINVAL;
  if ((rc = sgw__signer_use(signer, &signer, &tmp)) < 0) return rc;
  sgw__cos_set_init(&params);
  sgw__cos_set_init(&headers);
  if ((rc = sgw_buf_reserve(out, 256)) < 0 ||
      (rc = sgw__cos_set_build(&params, req->params, req->nparams, 0)) < 0 ||
      (rc = sgw__cos_set_build(&headers, req->headers, req->nheaders, 1)) < 0)
    goto done;

  sgw_cos_key_time(req->start, req->end, kt, sizeof(kt));
  if ((rc = sgw__cos_signature(signer, req->secret_key, kt, kt, req->method,
                               req->path, req->path_len, &params, &headers,
                               sig)) < 0)
    goto done;
  rc = sgw__cos_auth_string(req->secret_id, kt, &params, &headers, sig, 0,
                            out);

done:
  sgw_signer_free(tmp);
  sgw__cos_set_free(&params);
  sgw__cos_set_free(&headers);
  return rc;
}

int sgw__cos_parse_key_time(const char *s, size_t len, int64_t *start,
                            int64_t *end) {
  const char *p = s, *e = s + len;
  int64_t v[2];

  for (int i = 0; i < 2; i++) {
    int neg = 0;
    uint64_t u = 0, lim;
    const char *d;
    if (p < e && *p == '-')
      neg = 1, p++;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (d = p; p < e && *p >= '0' && *p <= '9'; p++) {
      unsigned dv = (unsigned)(*p - '0');
      if (u > (lim - dv) / 10) return SGW_EINVAL;
      u = u * 10 + dv;
    }
    if (p == d) return SGW_EINVAL;
    v[i] = neg ? (int64_t)(0 - u) : (int64_t)u;
    if (i == 0) {
      if (p >= e || *p != ';') return SGW_EINVAL;
      p++;
    }
  }
  if (p != e || v[1] < v[0]) return SGW_EINVAL;
  *start = v[0];
  *end = v[1];
  return 0;
}

/* ------------------------------------------------------------------ */
/* Presigned URLs                                                      */

static int sgw__presign_valid(const sgw_cos_presign_t *p) {
  return p && p->secret_id && p->secret_id[0] && p->secret_key &&
         p->secret_key[0] && p->method && p->method[0] && p->host &&
         p->host[0] && (p->key || p->key_len == 0) && p->end >= p->start &&
         (p->headers || p->nheaders == 0) && (p->params || p->nparams == 0);
}

/* The headers getObjectUrl signs: the caller's, less empty values (the
 * SDK deletes them), plus Host unless one with a value is given. The
 * array is the caller's to free. */
static int sgw__presign_headers(const sgw_cos_presign_t *p, sgw_kv_t **out,
                                size_t *n) {
  sgw_kv_t *kv = calloc(p->nheaders + 1, sizeof(*kv));
  int host = 0;

  *out = kv;
  *n = 0;
  if (kv == NULL) return SGW_ENOMEM;
  for (size_t i = 0; i < p->nheaders; i++) {
    if (p->headers[i].value_len == 0) continue;
    if (sgw__equal_ci(sgw__str(p->headers[i].name), p->headers[i].name_len,
                      "host"))
      host = 1;
    kv[(*n)++] = p->headers[i];
  }
  if (!host)
    kv[(*n)++] = (sgw_kv_t){"Host", 4, p->host, strlen(p->host)};
  return 0;
}

/* scheme://host/<key, cam-safe, '/' kept> */
static int sgw__presign_base(const sgw_cos_presign_t *p, sgw_buf_t *out) {
  size_t start;
  int rc = sgw_buf_appends(out, p->scheme ? p->scheme : "https");

  if (rc == 0) rc = sgw_buf_appends(out, "://");
  if (rc == 0) rc = sgw_buf_appends(out, p->host);
  if (rc == 0) rc = sgw_buf_appendc(out, '/');
  start = out->len;
  if (rc == 0 && p->key_len)
    rc = sgw_url_encode(out, p->key, p->key_len);
  /* The SDK's .replace(/%2F/g, '/'): squeeze each "%2F" back to '/'. */
  if (rc == 0) {
    size_t w = start;
    for (size_t r = start; r < out->len; r++, w++) {
      if (out->len - r >= 3 && memcmp(out->base + r, "%2F", 3) == 0) {
        out->base[w] = '/';
        r += 2;
      } else {
        out->base[w] = out->base[r];
      }
    }
    out->len = w;
    out->base[w] = '\0';
  }
  return rc;
}

int sgw_cos_presign_url(sgw_signer_t *signer, const sgw_cos_presign_t *p,
                        sgw_buf_t *out) {
  sgw__cos_set_t params, headers;
  sgw_cos_presign_t key;
  sgw_signer_t *tmp = NULL;
  sgw_kv_t *hkv = NULL;
  sgw_buf_t path;
  size_t nh, start;
  char kt[48], sig[41];
  int rc;

  if (!sgw__presign_valid(p) || out == NULL) return SGW_EINVAL;
  /* The SDK drops one leading '/' of a key (its UseRawKey is off). */
  if (p->key_len > 0 && p->key[0] == '/') {
    key = *p;
    key.key++;
    key.key_len--;
    p = &key;
  }
  start = out->len;
  sgw__cos_set_init(&params);
  sgw__cos_set_init(&headers);
  sgw_buf_init(&path);
  /* The SDK signs "/" + Key, even when the key starts with '/'. */
  if ((rc = sgw__signer_use(signer, &signer, &tmp)) < 0 ||
      (rc = sgw__presign_headers(p, &hkv, &nh)) < 0 ||
      (rc = sgw_buf_appendc(&path, '/')) < 0 ||
      (rc = sgw_buf_append(&path, p->key, p->key_len)) < 0 ||
      (rc = sgw__cos_set_build(&params, p->params, p->nparams, 0)) < 0 ||
      (rc = sgw__cos_set_build(&headers, hkv, nh, 1)) < 0)
    goto done;
  sgw_cos_key_time(p->start, p->end, kt, sizeof(kt));
  if ((rc = sgw__cos_signature(signer, p->secret_key, kt, kt, p->method,
                               path.base, path.len, &params, &headers,
                               sig)) < 0 ||
      (rc = sgw__presign_base(p, out)) < 0 ||
      (rc = sgw_buf_appendc(out, '?')) < 0 ||
      (rc = sgw__cos_auth_string(p->secret_id, kt, &params, &headers, sig, 1,
                                 out)) < 0)
    goto done;
  /* The token is encoded here (the SDK appends it as it is, which breaks
   * for a token with '+', '&' or '='); the same for the usual tokens. */
  if (p->security_token && p->security_token[0] &&
      ((rc = sgw_buf_appends(out, "&x-cos-security-token=")) < 0 ||
       (rc = sgw_url_encode(out, p->security_token,
                            strlen(p->security_token))) < 0))
    goto done;
  /* The parameters, in the order they were signed (raw names; the list
   * above sorted them by encoded name). */
  if (params.n) qsort(params.v, params.n, sizeof(*params.v), sgw__cmp_raw);
  for (size_t i = 0; rc == 0 && i < params.n; i++) {
    const sgw_kv_t *kv = params.v[i].kv;
    rc = sgw_buf_appendc(out, '&');
    if (rc == 0) rc = sgw_url_encode(out, sgw__str(kv->name), kv->name_len);
    if (rc == 0) rc = sgw_buf_appendc(out, '=');
    if (rc == 0) rc = sgw_url_encode(out, sgw__str(kv->value), kv->value_len);
  }

done:
  if (rc < 0 && out->base != NULL) {
    out->len = start;
    out->base[start] = '\0';
  }
  sgw_signer_free(tmp);
  free(hkv);
  sgw_buf_free(&path);
  sgw__cos_set_free(&params);
  sgw__cos_set_free(&headers);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Host                                                                */

static int sgw__host_label_valid(const char *s) {
  if (s == NULL || s[0] == '\0') return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

int sgw_cos_host(const char *bucket, const char *region, sgw_buf_t *out) {
  if (out == NULL || !sgw__host_label_valid(bucket) ||
      !sgw__host_label_valid(region))
    return SGW_EINVAL;
  int rc = sgw_buf_appends(out, bucket);
  if (rc == 0) rc = sgw_buf_appends(out, ".cos.");
  if (rc == 0) rc = sgw_buf_appends(out, region);
  if (rc == 0) rc = sgw_buf_appends(out, ".myqcloud.com");
  return rc;
}

/* ------------------------------------------------------------------ */
/* POST policy                                                         */

/* JS Date's range: +-8.64e15 ms. */
#define SGW__JS_DATE_MAX_S INT64_C(8640000000000)
/* Largest integer JSON.stringify prints exactly (Number.MAX_SAFE_INTEGER). */
#define SGW__JS_SAFE_INT INT64_C(9007199254740991)

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days), independent of the C library's time_t range and TZ. */
static void sgw__civil(int64_t days, int64_t *y, int *m, int *d) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* v (0 <= v < 10^width) zero-padded to `width` digits. */
static int sgw__digits(sgw_buf_t *out, int64_t v, int width) {
  char tmp[8];

  for (int i = width - 1; i >= 0; i--, v /= 10)
    tmp[i] = (char)('0' + v % 10);
  return sgw_buf_append(out, tmp, (size_t)width);
}

/* Date.prototype.toISOString(): "YYYY-MM-DDTHH:MM:SS.000Z", with a signed
 * six-digit year outside 0000..9999 ("+010000-...", "-000001-..."). */
static int sgw__iso8601(int64_t t, sgw_buf_t *out) {
  int64_t days, secs, y;
  int m, d, rc;
  if (t > SGW__JS_DATE_MAX_S || t < -SGW__JS_DATE_MAX_S) return SGW_ERANGE;
  days = t / 86400;
  secs = t % 86400;
  if (secs < 0) secs += 86400, days--;
  sgw__civil(days, &y, &m, &d);
  if (y >= 0 && y <= 9999)
    rc = sgw__digits(out, y, 4);
  else if ((rc = sgw_buf_appendc(out, y < 0 ? '-' : '+')) == 0)
    rc = sgw__digits(out, y < 0 ? -y : y, 6);
  if (rc == 0) rc = sgw_buf_appendc(out, '-');
  if (rc == 0) rc = sgw__digits(out, m, 2);
  if (rc == 0) rc = sgw_buf_appendc(out, '-');
  if (rc == 0) rc = sgw__digits(out, d, 2);
  if (rc == 0) rc = sgw_buf_appendc(out, 'T');
  if (rc == 0) rc = sgw__digits(out, secs / 3600, 2);
  if (rc == 0) rc = sgw_buf_appendc(out, ':');
  if (rc == 0) rc = sgw__digits(out, secs / 60 % 60, 2);
  if (rc == 0) rc = sgw_buf_appendc(out, ':');
  if (rc == 0) rc = sgw__digits(out, secs % 60, 2);
  if (rc == 0) rc = sgw_buf_appends(out, ".000Z");
  return rc;
}

/* {"name":"value"} with the value escaped the way JSON.stringify does. */
static int sgw__json_cond(sgw_buf_t *out, const char *name, const char *value) {
  int rc = sgw_buf_appends(out, ",{\"");
  if (rc == 0) rc = sgw_buf_appends(out, name);
  if (rc == 0) rc = sgw_buf_appends(out, "\":");
  if (rc == 0) rc = sgw_json_string(out, value, strlen(value));
  if (rc == 0) rc = sgw_buf_appendc(out, '}');
  return rc;
}

static int sgw__extra_valid(const char *c) {
  return c && (c[0] == '{' || c[0] == '[');
}

static int sgw__cos_policy_valid(const sgw_cos_policy_t *p) {
  if (!p || !p->secret_id || !p->secret_id[0] || !p->secret_key ||
      !p->secret_key[0] || !p->bucket || !p->bucket[0] || !p->key ||
      !p->key[0] || p->end < p->start)
    return 0;
  if (p->max_size > 0 && (p->min_size < 0 || p->min_size > p->max_size))
    return 0;
  if (p->nextra_conditions && !p->extra_conditions) return 0;
  for (size_t i = 0; i < p->nextra_conditions; i++)
    if (!sgw__extra_valid(p->extra_conditions[i])) return 0;
  return 1;
}

static int sgw__cos_policy_json(const sgw_cos_policy_t *p, const char *kt,
                                sgw_buf_t *out) {
  int rc = sgw_buf_appends(out, "{\"expiration\":\"");
  if (rc == 0) rc = sgw__iso8601(p->end, out);
  if (rc == 0)
    rc = sgw_buf_appends(out, "\",\"conditions\":[{\"q-sign-algorithm\":\"sha1\"}");
  if (rc == 0) rc = sgw__json_cond(out, "q-ak", p->secret_id);
  if (rc == 0) rc = sgw__json_cond(out, "q-sign-time", kt);
  if (rc == 0) rc = sgw__json_cond(out, "bucket", p->bucket);
  if (rc == 0) rc = sgw__json_cond(out, "key", p->key);
  if (rc == 0 && p->max_size > 0) {
    rc = sgw_buf_appends(out, ",[\"content-length-range\",");
    if (rc == 0) rc = sgw_buf_append_int(out, p->min_size);
    if (rc == 0) rc = sgw_buf_appendc(out, ',');
    if (rc == 0) rc = sgw_buf_append_int(out, p->max_size);
    if (rc == 0) rc = sgw_buf_appendc(out, ']');
  }
  if (rc == 0 && p->security_token)
    rc = sgw__json_cond(out, "x-cos-security-token", p->security_token);
  for (size_t i = 0; rc == 0 && i < p->nextra_conditions; i++) {
    rc = sgw_buf_appendc(out, ',');
    if (rc == 0) rc = sgw_buf_appends(out, p->extra_conditions[i]);
  }
  if (rc == 0) rc = sgw_buf_appends(out, "]}");
  return rc;
}

static int sgw__base64_buf(const sgw_buf_t *in, sgw_buf_t *out) {
  size_t n = SGW_BASE64_LEN(in->len), len = 0;
  int rc = sgw_buf_reserve(out, n);
  if (rc < 0) return rc;
  sgw_base64_encode((const unsigned char *)in->base, in->len,
                    out->base + out->len, &len, 0);
  out->len += len;
  out->base[out->len] = '\0';
  return 0;
}

int sgw__cos_policy_signature(sgw_signer_t *signer, const char *secret,
                              const char *key_time, const char *policy,
                              size_t len, char sig[2 * SGW_SHA1_LEN + 1]) {
  char hash[2 * SGW_SHA1_LEN + 1];
  int rc = sgw__signer_sha1_hex(signer, policy, len, hash);

  if (rc == 0)
    rc = sgw__signer_cos_sign(signer, secret, key_time, hash,
                              2 * SGW_SHA1_LEN, sig);
  return rc;
}

int sgw_cos_post_policy(sgw_signer_t *signer, const sgw_cos_policy_t *p,
                        sgw_cos_policy_result_t *res) {
  sgw_signer_t *tmp = NULL;
  int rc;

  if (res == NULL) return SGW_EINVAL;
  sgw_buf_init(&res->policy);
  sgw_buf_init(&res->policy_b64);
  res->key_time[0] = '\0';
  res->signature[0] = '\0';
  if (!sgw__cos_policy_valid(p)) return SGW_EINVAL;
  if (p->max_size > SGW__JS_SAFE_INT) return SGW_ERANGE;

  sgw_cos_key_time(p->start, p->end, res->key_time, sizeof(res->key_time));
  /* One allocation each in the usual case, not a series of doublings. */
  if ((rc = sgw__signer_use(signer, &signer, &tmp)) < 0 ||
      (rc = sgw_buf_reserve(&res->policy, 512)) < 0 ||
      (rc = sgw__cos_policy_json(p, res->key_time, &res->policy)) < 0 ||
      (rc = sgw__base64_buf(&res->policy, &res->policy_b64)) < 0 ||
      (rc = sgw__cos_policy_signature(signer, p->secret_key, res->key_time,
                                      res->policy.base, res->policy.len,
                                      res->signature)) < 0) {
    /* Leave nothing half-built that a caller could mistake for a policy. */
    sgw_buf_reset(&res->policy);
    sgw_buf_reset(&res->policy_b64);
    res->signature[0] = '\0';
  }
  sgw_signer_free(tmp);
  return rc;
}

void sgw_cos_policy_result_free(sgw_cos_policy_result_t *res) {
  if (res == NULL) return;
  sgw_buf_free(&res->policy);
  sgw_buf_free(&res->policy_b64);
}
