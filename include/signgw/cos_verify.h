/* Checking COS signatures the way COS checks them: a request's
 * Authorization (header, or the same fields in the query string of a
 * presigned URL) and a POST Object form (policy and q-signature).
 *
 * Pure functions: no I/O. The caller hands over what arrived (method,
 * decoded path, raw query string, headers, form fields) and the time, and
 * looks secrets up through a callback. The signature is computed by the
 * same code that signs (cos.c), so whatever signgw or the official SDK
 * signs verifies, and nothing else does.
 *
 * Results: 0 when the request is accepted; a positive SGW_COS_DENY_*
 * reason when it is refused (sgw_cos_deny_code() names the COS error to
 * answer); a negative SGW_E* code when the check itself could not run
 * (SGW_EINVAL for a malformed call, SGW_ENOMEM, SGW_ECRYPTO). */
#ifndef SIGNGW_COS_VERIFY_H
#define SIGNGW_COS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "signgw/cos.h"
#include "signgw/signer.h"

enum {
  SGW_COS_DENY_MISSING = 1,   /* no signature at all */
  SGW_COS_DENY_MALFORMED,     /* a q-* field missing, repeated or malformed */
  SGW_COS_DENY_ALGORITHM,     /* q-sign-algorithm is not "sha1" */
  SGW_COS_DENY_UNKNOWN_ID,    /* q-ak is not a known SecretId */
  SGW_COS_DENY_TOKEN,         /* the id needs a security token: none or
                                 another one arrived */
  SGW_COS_DENY_NOT_YET,       /* now is before q-sign-time / q-key-time */
  SGW_COS_DENY_EXPIRED,       /* now is after q-sign-time / q-key-time */
  SGW_COS_DENY_HEADER_LIST,   /* q-header-list names a header that did not
                                 arrive (or arrived another number of times) */
  SGW_COS_DENY_PARAM_LIST,    /* the same for q-url-param-list */
  SGW_COS_DENY_SIGNATURE,     /* q-signature does not match */
  SGW_COS_DENY_FORM,          /* POST form: a field repeated, or no key */
  SGW_COS_DENY_POLICY,        /* POST policy: not base64 of a JSON policy */
  SGW_COS_DENY_POLICY_UNKNOWN,/* POST policy: a condition of unknown type */
  SGW_COS_DENY_POLICY_EXPIRED,/* POST policy: past its expiration */
  SGW_COS_DENY_CONDITION,     /* POST policy: a condition does not hold */
  SGW_COS_DENY_TOO_SMALL,     /* the upload is below content-length-range */
  SGW_COS_DENY_TOO_LARGE      /* the upload is above content-length-range */
};

/* The COS error code for a reason ("SignatureDoesNotMatch",
 * "AccessDenied", "InvalidAccessKeyId", "RequestTimeTooSkewed",
 * "InvalidPolicyDocument", "EntityTooLarge", ...) and a message to send
 * with it; both static text without any secret. Unknown reasons give
 * "AccessDenied". */
const char *sgw_cos_deny_code(int reason);
const char *sgw_cos_deny_message(int reason);

/* What the caller knows about one SecretId. */
typedef struct sgw_cos_secret_s {
  const char *secret_key;      /* NUL-terminated, non-empty */
  const char *security_token;  /* NULL: none required */
} sgw_cos_secret_t;

/* Looks up id (id_len bytes, not NUL-terminated). Returns 0 and fills
 * *out when the id is known (the strings must stay valid until the
 * verify call returns), anything else when it is not. */
typedef int (*sgw_cos_lookup_fn)(void *arg, const char *id, size_t id_len,
                                 sgw_cos_secret_t *out);

typedef struct sgw_cos_request_s {
  const char *method;          /* as it arrived, any case */
  const char *path;            /* percent-decoded: "/" + object key */
  size_t path_len;
  const char *query;           /* raw query string without '?', or NULL */
  size_t query_len;
  const sgw_kv_t *headers;     /* every header that arrived */
  size_t nheaders;
  int64_t now;                 /* unix seconds */
  sgw_cos_lookup_fn lookup;
  void *lookup_arg;
} sgw_cos_request_t;

/* Verifies a request signed in its Authorization header or, without
 * one, by the q-* parameters of its query string (a presigned URL; those
 * parameters are then not among the signed ones). Checks, in order:
 *   - every q-* field present once (q-sign-algorithm, q-ak, q-sign-time,
 *     q-key-time, q-header-list, q-url-param-list, q-signature), the
 *     algorithm "sha1", both times "start;end";
 *   - q-ak known to lookup;
 *   - now within q-sign-time and q-key-time (ends included);
 *   - the security token, when the id needs one: an x-cos-security-token
 *     header or query parameter equal to it (both, if both arrived);
 *   - each name in q-header-list / q-url-param-list matches as many
 *     arrived headers / parameters as it is listed times, at least once,
 *     and no header or parameter is named twice; those are signed, with
 *     the values that arrived; others are not looked at (as COS). A name
 *     matches, ASCII case aside, as the SDK lists it (cam-safe encoded)
 *     or as it is: the SDK puts a presigned URL's header list into the
 *     query without encoding it again (unlike its parameter list, and
 *     unlike sgw_cos_presign_url), so decoding the query turns it back
 *     into plain names. An empty entry names the empty name;
 *   - q-signature, compared in constant time.
 * Query parameters are percent-decoded ('+' stays '+'); one that cannot
 * be decoded makes the request MALFORMED. */
int sgw_cos_verify_request(sgw_signer_t *signer, const sgw_cos_request_t *r);

/* The content-length-range of a verified POST policy: the upload's final
 * length must lie in [min, max]. Without such a condition, 0 and
 * INT64_MAX; with several, their intersection. */
typedef struct sgw_cos_length_range_s {
  int64_t min;
  int64_t max;
} sgw_cos_length_range_t;

typedef struct sgw_cos_form_s {
  const char *bucket;          /* the bucket the form was posted to */
  const sgw_kv_t *fields;      /* every form field before the file */
  size_t nfields;
  int64_t now;
  sgw_cos_lookup_fn lookup;
  void *lookup_arg;
} sgw_cos_form_t;

/* Verifies a POST Object form before its file is stored:
 *   - field names are matched without regard to case, and none may
 *     repeat; "key" must be there (FORM);
 *   - q-sign-algorithm, q-ak, q-key-time, q-signature and policy as for
 *     a request (MISSING, MALFORMED, ALGORITHM, UNKNOWN_ID, NOT_YET,
 *     EXPIRED, TOKEN with the x-cos-security-token field);
 *   - policy: standard base64 of a JSON object with exactly "expiration"
 *     (ISO 8601, e.g. "2026-11-30T08:00:00.000Z") and "conditions" (an
 *     array) (POLICY); q-signature over the decoded text (SIGNATURE);
 *     now not after the expiration (POLICY_EXPIRED);
 *   - every condition (CONDITION when one fails):
 *       {"field": "value"}          exactly one member, exact match
 *       ["eq", "$field", "value"]   exact match
 *       ["starts-with", "$field", "prefix"]
 *       ["content-length-range", min, max]   integers, 0 <= min <= max
 *     "bucket" is the bucket above; "q-sign-time" is that field, or
 *     q-key-time when the form has none; any other name is a form field,
 *     an absent one being "". Other shapes are POLICY, other condition
 *     types POLICY_UNKNOWN.
 * On 0, *range holds the length bounds for sgw_cos_verify_post_length(),
 * to check once the file has been received (the caller may also stop
 * reading early at range->max). */
int sgw_cos_verify_post(sgw_signer_t *signer, const sgw_cos_form_t *f,
                        sgw_cos_length_range_t *range);

/* 0, SGW_COS_DENY_TOO_SMALL or SGW_COS_DENY_TOO_LARGE. */
int sgw_cos_verify_post_length(const sgw_cos_length_range_t *range,
                               int64_t length);

#endif
