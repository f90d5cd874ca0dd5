/* Tencent Cloud COS request signatures (XML API, "q-sign-algorithm=sha1")
 * and POST Object policies.
 *
 * Pure functions: no Lua, no I/O, no globals or thread-locals. What is
 * kept between calls (OpenSSL contexts, the last SignKey) lives in the
 * caller's signer (signgw/signer.h); every function that signs takes one,
 * or NULL for a one-off signer. The output is byte-identical
 * to the official SDK (cos-nodejs-sdk-v5, COS.getAuthorization with an
 * explicit KeyTime), including its choices that the protocol leaves open:
 *   - only headers COS signs are signed: names that contain "x-cos-" or
 *     "x-ci-" anywhere (the SDK tests indexOf, not a prefix), and content-
 *     disposition, content-encoding, content-length, content-md5, expect,
 *     expires, host, if-match, if-modified-since, if-none-match,
 *     if-unmodified-since, origin, range, transfer-encoding, pic-operations
 *     (names compared case-insensitively);
 *   - the path is signed as given (not URL-encoded), with a '/' prepended
 *     when it does not start with one;
 *   - name/value pairs are sorted by lower-cased name in UTF-16 code unit
 *     order (names equal after lower-casing keep their input order, as in
 *     the SDK's stable sort), names cam-safe encoded and then lower-cased
 *     (so "%E4" is signed as "%e4"), values cam-safe encoded; the
 *     q-header-list / q-url-param-list are sorted by encoded, lower-cased
 *     name.
 *     Lower-casing is ASCII-only, so the output matches the SDK for names
 *     whose non-ASCII characters have no case (CJK, symbols, emoji). */
#ifndef SIGNGW_COS_H
#define SIGNGW_COS_H

#include <stddef.h>
#include <stdint.h>
#include "signgw/buf.h"
#include "signgw/signer.h"

typedef struct sgw_kv_s {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
} sgw_kv_t;

typedef struct sgw_cos_sign_s {
  const char *secret_id;   /* NUL-terminated */
  const char *secret_key;  /* NUL-terminated; never copied into output */
  const char *method;      /* any case; lower-cased for signing */
  const char *path;        /* object path, e.g. "/a/b.jpg" or "a/b.jpg" */
  size_t path_len;
  int64_t start;           /* key time, unix seconds */
  int64_t end;
  const sgw_kv_t *headers;
  size_t nheaders;
  const sgw_kv_t *params;  /* query parameters */
  size_t nparams;
} sgw_cos_sign_t;

/* Appends the Authorization header value to `out`. SGW_EINVAL when a
 * required field is missing or empty (secret_id, secret_key, method; path
 * may be NULL only with path_len 0, which signs "/"), a kv array is NULL
 * with a non-zero count, or end < start. */
int sgw_cos_authorization(sgw_signer_t *signer, const sgw_cos_sign_t *req,
                          sgw_buf_t *out);

/* A presigned URL, as cos-nodejs-sdk-v5's getObjectUrl (Sign: true)
 * builds it:
 *   <scheme>://<host>/<cam-safe key, '/' kept>?<Authorization, with the
 *   q-url-param-list value URL-encoded and '%' in q-header-list too>
 *   [&x-cos-security-token=<token>]
 *   [&<name>=<value> for each parameter, cam-safe, in signing order]
 * A leading '/' of the key is dropped, as the SDK does; the signed path
 * is then "/" + key. The signed headers are the given ones
 * with a non-empty value (of those COS signs) plus Host: host unless a
 * host header is given. Parameters are signed and sent. Unlike the SDK,
 * the token and the '%' of encoded header names are URL-encoded, so that
 * they survive the server's decoding of the query (the SDK leaves the
 * header "x-cos-meta-a!" listed as "x-cos-meta-a%21", which decodes to
 * "!"); the text is the SDK's for a token of letters, digits and "-_.~"
 * and header names that need no encoding. */
typedef struct sgw_cos_presign_s {
  const char *secret_id;       /* NUL-terminated */
  const char *secret_key;      /* NUL-terminated; never copied into output */
  const char *security_token;  /* optional */
  const char *scheme;          /* "https" when NULL */
  const char *host;            /* "bucket.cos.region.myqcloud.com[:port]" */
  const char *method;          /* any case */
  const char *key;             /* the object key, not URL-encoded */
  size_t key_len;
  int64_t start;               /* key time, unix seconds */
  int64_t end;
  const sgw_kv_t *headers;
  size_t nheaders;
  const sgw_kv_t *params;
  size_t nparams;
} sgw_cos_presign_t;

/* Appends the URL to `out`. SGW_EINVAL for a missing or empty secret_id,
 * secret_key, method or host, a NULL key with a length, a kv array NULL
 * with a count, or end < start (nothing is appended then). */
int sgw_cos_presign_url(sgw_signer_t *signer, const sgw_cos_presign_t *p,
                        sgw_buf_t *out);

/* "start;end" into `out` (at least 48 bytes). */
void sgw_cos_key_time(int64_t start, int64_t end, char *out, size_t size);

/* Host name of a bucket: "<bucket>.cos.<region>.myqcloud.com".
 * SGW_EINVAL when bucket or region contain characters other than
 * [A-Za-z0-9.-] or are empty. */
int sgw_cos_host(const char *bucket, const char *region, sgw_buf_t *out);

typedef struct sgw_cos_policy_s {
  const char *secret_id;
  const char *secret_key;
  const char *bucket;      /* e.g. "examplebucket-1250000000" */
  const char *key;         /* exact object key, no leading '/' */
  int64_t start;
  int64_t end;             /* also the policy "expiration" */
  int64_t min_size;        /* content-length-range, used when max_size > 0 */
  int64_t max_size;
  const char *security_token;   /* optional: adds x-cos-security-token */
  /* Optional extra conditions: each a complete JSON value (an object or
   * an array) appended to "conditions" as it is. */
  const char *const *extra_conditions;
  size_t nextra_conditions;
} sgw_cos_policy_t;

typedef struct sgw_cos_policy_result_s {
  sgw_buf_t policy;        /* the policy JSON that is signed */
  sgw_buf_t policy_b64;    /* base64 of `policy`: the form field */
  char key_time[48];       /* q-key-time and q-sign-time */
  char signature[41];      /* q-signature, hex */
} sgw_cos_policy_result_t;

/* Builds and signs a POST Object policy:
 *   {"expiration":"<ISO 8601 of end, ms, Z>","conditions":[
 *     {"q-sign-algorithm":"sha1"},{"q-ak":ID},{"q-sign-time":KT},
 *     {"bucket":B},{"key":K}[,["content-length-range",min,max]]
 *     [,{"x-cos-security-token":T}][,extra...]]}
 *   q-signature = hex(HMAC-SHA1(hex(HMAC-SHA1(SecretKey, KT)),
 *                               hex(SHA1(policy))))
 * The JSON is byte-identical to JS JSON.stringify of the same structure;
 * the expiration is new Date(end * 1000).toISOString() (six-digit signed
 * year outside 0000..9999).
 * SGW_EINVAL: secret_id, secret_key, bucket or key NULL or empty,
 * end < start, max_size > 0 with min_size < 0 or > max_size, an extra
 * condition that does not start with '{' or '[', or a string that is not
 * valid UTF-8. SGW_ERANGE: max_size above 2^53 - 1 (JSON.stringify would
 * round it) or end outside JS Date's range (+-8.64e12 s).
 * The result's buffers are initialised here; the caller releases them
 * with sgw_cos_policy_result_free(), also after an error. */
int sgw_cos_post_policy(sgw_signer_t *signer, const sgw_cos_policy_t *p,
                        sgw_cos_policy_result_t *res);
void sgw_cos_policy_result_free(sgw_cos_policy_result_t *res);

#endif
