/* AWS Signature Version 4 (AWS4-HMAC-SHA256) for Amazon S3 and
 * S3-compatible stores (MinIO, Cloudflare R2, COS's S3 endpoint, ...):
 * presigned URLs, header-signed requests and browser POST policies.
 *
 * Pure functions: no Lua, no I/O, no globals or thread-locals. The output
 * is byte-identical to the AWS SDK for JavaScript v3: getSignedUrl of
 * @aws-sdk/s3-request-presigner, the SignatureV4 signer of
 * @smithy/signature-v4 (as the S3 client configures it) and
 * createPresignedPost of @aws-sdk/s3-presigned-post.
 *
 *   Scope         = YYYYMMDD "/" region "/" service "/aws4_request"
 *   SigningKey    = HMAC(HMAC(HMAC(HMAC("AWS4" secret, YYYYMMDD), region),
 *                        service), "aws4_request")   (all HMAC-SHA256)
 *   Canonical     = METHOD "\n" path "\n" query "\n" headers "\n"
 *                   signed-header-list "\n" payload-hash
 *   StringToSign  = "AWS4-HMAC-SHA256\n" YYYYMMDDTHHMMSSZ "\n" Scope "\n"
 *                   hex(SHA256(Canonical))
 *   Signature     = hex(HMAC(SigningKey, StringToSign))
 *
 * URI encoding follows AWS's rules: every byte but A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper-case hex); '/' is kept in the object key's path; the
 * path is signed exactly as it is sent (S3 does not normalise it, so
 * "a//b" and "./" stay). Query names and values are encoded the same way
 * ('/' too) and sorted by encoded name for signing; the URL lists them in
 * the SDK's order (by raw name, UTF-16 code unit order).
 *
 * Where the request goes (as the SDK's endpoint rules decide it):
 *   - virtual-hosted style "<bucket>.<endpoint host>" when path style is
 *     not forced, the endpoint host is not an IP address and the bucket
 *     is one DNS label (3..63 of [a-z0-9-], starting and ending with a
 *     letter or digit) or, for a plain-http endpoint only, several such
 *     labels, 63 bytes in all and without four dot-separated numbers;
 *   - path style "<endpoint host>/<bucket>" otherwise (buckets with dots
 *     over https, upper case or underscores; servers on an IP address).
 *   The endpoint's own path is kept in front ("https://h/base" puts
 *   objects at /base/<key> virtual-hosted, /base/<bucket>/<key> path
 *   style); a default port (80, 443) is dropped from the URL and the
 *   signed host.
 *
 * One difference from the SDK, on purpose: a Date header given to be
 * signed is signed (as in AWS's documented examples); the SDK drops it.
 *
 * Buckets are 1..255 of [A-Za-z0-9._-], not "." or "..", and not S3
 * Express directory buckets ("--x-s3", "--xa-s3" suffixes), which need
 * another endpoint. Object keys are 1..1024 bytes, any bytes but NUL; the
 * SDK can only express valid UTF-8. Keys with "." or ".." segments are
 * signed as they are, but most HTTP clients resolve such segments before
 * sending, which breaks the signature: choose keys without them. */
#ifndef SIGNGW_S3_H
#define SIGNGW_S3_H

#include <stddef.h>
#include <stdint.h>

#include "signgw/buf.h"
#include "signgw/cos.h" /* sgw_kv_t */
#include "signgw/crypto.h"

#define SGW_S3_ALGORITHM "AWS4-HMAC-SHA256"
#define SGW_S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Bounds on the inputs (longer ones are SGW_EINVAL). */
#define SGW_S3_ID_MAX 128         /* access_key_id */
#define SGW_S3_SECRET_MAX 256     /* secret_access_key */
#define SGW_S3_TOKEN_MAX 16384    /* session_token */
#define SGW_S3_NAME_MAX 64        /* region, service */
#define SGW_S3_BUCKET_MAX 255
#define SGW_S3_KEY_MAX 1024       /* object key, bytes */
#define SGW_S3_HOST_MAX 253       /* endpoint host name, without the port */
#define SGW_S3_PATH_MAX 256       /* endpoint base path */
#define SGW_S3_MAX_PAIRS 64       /* headers, query parameters, fields */
#define SGW_S3_PAIR_NAME_MAX 256
#define SGW_S3_PAIR_VALUE_MAX 8192
#define SGW_S3_EXPIRES_MAX 604800 /* a week: longer presigned URLs fail */
/* Latest signing date: 9999-12-31T23:59:59Z (X-Amz-Date has 4 digits). */
#define SGW_S3_DATE_MAX INT64_C(253402300799)

/* ---- endpoints ------------------------------------------------------- */

/* A parsed endpoint URL, in the form a WHATWG URL parser gives it. */
typedef struct sgw_s3_endpoint_s {
  int https;                       /* 1: https, 0: http */
  unsigned port;                   /* 0: the scheme's default */
  int ip;                          /* host is an IPv4 or [IPv6] literal */
  char host[SGW_S3_HOST_MAX + 1];  /* lower case; IPv6 in brackets */
  char path[SGW_S3_PATH_MAX + 1];  /* "" (root), "/base" or "/base/" */
} sgw_s3_endpoint_t;

/* Parses "http[s]://host[:port][/path]" (the scheme in lower case).
 * SGW_EINVAL for anything else or
 * anything a URL parser would rewrite, so the signed host and path are
 * the ones sent: a user-info part, a query or fragment, "." or ".."
 * segments, path bytes outside [A-Za-z0-9-._~/], host names other than
 * labels of [A-Za-z0-9_-] (lower-cased here), numeric hosts other than a
 * canonical dotted quad, IPv6 literals not in the canonical text form,
 * ports outside 1..65535. */
int sgw_s3_endpoint_parse(const char *url, sgw_s3_endpoint_t *ep);

/* AWS's own endpoint for a region: https://s3.<region>.amazonaws.com
 * (amazonaws.com.cn for the China regions "cn-*-N"). SGW_EINVAL when the
 * region is not a valid host label of [a-z0-9-]. */
int sgw_s3_endpoint_default(const char *region, sgw_s3_endpoint_t *ep);

/* ---- signing keys ---------------------------------------------------- */

/* Derived signing keys, reused while date, region, service and secret
 * stay the same (a signing key lives for a UTC day), each kept as an
 * HMAC state already keyed with it. Owned by the caller, who keeps one
 * per thread or guards it: signing writes to it. It holds key material
 * (the keys, their HMAC states and a copy of each secret to compare
 * against) and OpenSSL contexts, so release it with
 * sgw_s3_key_cache_wipe(). Without a cache, every key is derived and
 * keyed in contexts made for the call and wiped at its end: no key
 * outlives a signing call outside a cache. */
#define SGW_S3_CACHE_SLOTS 4

struct evp_mac_ctx_st; /* OpenSSL's EVP_MAC_CTX */

typedef struct sgw_s3_cached_key_s {
  uint64_t last_use;               /* 0: empty */
  char date[9];                    /* YYYYMMDD */
  char region[SGW_S3_NAME_MAX + 1];
  char service[SGW_S3_NAME_MAX + 1];
  size_t secret_len;
  unsigned char secret[SGW_S3_SECRET_MAX];
  struct evp_mac_ctx_st *keyed;    /* HMAC-SHA256 keyed with the key */
} sgw_s3_cached_key_t;

typedef struct sgw_s3_key_cache_s {
  sgw_s3_cached_key_t slot[SGW_S3_CACHE_SLOTS];
  struct evp_mac_ctx_st *derive;   /* for deriving keys */
  uint64_t clock;
  uint64_t hits, misses;           /* for tests and statistics */
} sgw_s3_key_cache_t;

void sgw_s3_key_cache_init(sgw_s3_key_cache_t *cache);
/* Forgets every key, freeing its contexts and overwriting the memory
 * (OPENSSL_cleanse). The cache can be used again afterwards. */
void sgw_s3_key_cache_wipe(sgw_s3_key_cache_t *cache);

/* ---- who signs, for which store -------------------------------------- */

/* What a deployment fixes. Strings are NUL-terminated and borrowed for
 * the call; nothing here is copied into the output but the access key id
 * and the session token, which are public parts of every signature. */
typedef struct sgw_s3_signer_s {
  const char *access_key_id;       /* visible ASCII but ' ' ',' '/' */
  const char *secret_access_key;   /* 1..SGW_S3_SECRET_MAX bytes */
  const char *session_token;       /* optional (NULL): visible ASCII */
  const char *region;              /* e.g. "us-east-1", R2: "auto";
                                      [A-Za-z0-9_.-] */
  const char *service;             /* NULL: "s3"; [A-Za-z0-9_.-] */
  const sgw_s3_endpoint_t *endpoint;
  int force_path_style;
  sgw_s3_key_cache_t *cache;       /* optional: NULL derives every time */
} sgw_s3_signer_t;

/* 0 when an access key id, secret and optional session token can sign
 * (the rules of sgw_s3_signer_t), else SGW_EINVAL: for checking
 * credentials once, when they are loaded. */
int sgw_s3_check_cred(const char *access_key_id, const char *secret,
                      const char *session_token);

/* ---- presigned URLs (query authentication) ---------------------------- */

typedef struct sgw_s3_presign_s {
  const char *method;              /* "PUT", "GET", ...: [A-Z]{1,16} */
  const char *bucket;              /* NULL: a request to the service */
  const char *key;                 /* NULL: a request to the bucket */
  size_t key_len;
  int64_t date;                    /* unix seconds, 0..SGW_S3_DATE_MAX */
  int64_t expires;                 /* X-Amz-Expires, 1..604800 seconds */
  /* Headers the client will send, signed besides host. As in the SDK's
   * presigner, x-amz-* headers other than x-amz-server-side-encryption*
   * move into the signed query instead (see sgw_s3_header_hoisted). Names
   * are tokens, unique regardless of case, not host or x-amz-content-
   * sha256 / -date / -security-token / -signature. */
  const sgw_kv_t *headers;
  size_t nheaders;
  /* Extra signed query parameters, e.g. x-id=PutObject as the SDK adds,
   * response-content-disposition=..., versionId=.... Names are unique
   * and none of the X-Amz-* names the signature itself uses. */
  const sgw_kv_t *query;
  size_t nquery;
  /* 1: leave X-Amz-Content-Sha256 out of the query, as the AWS CLI and
   * the examples in AWS's documentation do (S3 takes both forms). */
  int omit_content_sha256;
} sgw_s3_presign_t;

/* Appends the presigned URL to `url`. The query carries X-Amz-Algorithm,
 * X-Amz-Content-Sha256=UNSIGNED-PAYLOAD (the body is not signed),
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-Security-Token (with
 * a session token), X-Amz-Signature, X-Amz-SignedHeaders and the extra
 * parameters. SGW_EINVAL for an input outside the rules above or in the
 * signer's fields; SGW_ERANGE for a date or expiry out of range;
 * SGW_ENOMEM; SGW_ECRYPTO if OpenSSL fails. On error `url` is left as it
 * was. */
int sgw_s3_presign(const sgw_s3_signer_t *s, const sgw_s3_presign_t *req,
                   sgw_buf_t *url);

/* 1 when sgw_s3_presign moves header `name` (any case) into the query,
 * so the client need not send it. */
int sgw_s3_header_hoisted(const char *name, size_t len);

/* ---- header-signed requests (Authorization) --------------------------- */

typedef struct sgw_s3_request_s {
  const char *method;
  const char *bucket;              /* NULL: a request to the service */
  const char *key;                 /* NULL: a request to the bucket */
  size_t key_len;
  int64_t date;
  /* Signed headers besides host, x-amz-content-sha256, x-amz-date and
   * x-amz-security-token (added here; none of those, nor authorization,
   * may be given). Values are visible ASCII, spaces and tabs. */
  const sgw_kv_t *headers;
  size_t nheaders;
  const sgw_kv_t *query;           /* sent and signed as they are */
  size_t nquery;
  const void *payload;             /* the body; may be NULL when empty */
  size_t payload_len;
  /* NULL: hex SHA-256 of the payload. Otherwise "UNSIGNED-PAYLOAD" or 64
   * lower-case hex digits, sent as x-amz-content-sha256 and signed. */
  const char *payload_hash;
} sgw_s3_request_t;

typedef struct sgw_s3_signed_s {
  sgw_buf_t url;                   /* scheme://host/path?query */
  sgw_buf_t authorization;         /* the Authorization header value */
  char host[SGW_S3_BUCKET_MAX + SGW_S3_HOST_MAX + 8];
  char amz_date[17];               /* x-amz-date: YYYYMMDDTHHMMSSZ */
  char content_sha256[65];         /* x-amz-content-sha256 */
} sgw_s3_signed_t;

/* Signs a request for the Authorization header. The caller sends
 * Authorization, Host, X-Amz-Content-Sha256, X-Amz-Date,
 * X-Amz-Security-Token (the signer's session token, when it has one) and
 * its own headers, to `url`. Errors as for sgw_s3_presign. The result's
 * buffers are initialised here; release them with sgw_s3_signed_free(),
 * also after an error. */
int sgw_s3_sign_request(const sgw_s3_signer_t *s, const sgw_s3_request_t *req,
                        sgw_s3_signed_t *out);
void sgw_s3_signed_free(sgw_s3_signed_t *out);

/* ---- browser POST uploads --------------------------------------------- */

typedef struct sgw_s3_post_s {
  const char *bucket;
  const char *key;                 /* exact key; one ending in "${filename}"
                                      becomes ["starts-with","$key",prefix] */
  int64_t date;                    /* X-Amz-Date */
  int64_t expires;                 /* expiration = date + expires, >= 1 */
  /* Extra form fields (Content-Type, success_action_status, ...), each
   * also an exact-match condition. Not key, bucket, file, policy or any
   * X-Amz-* name the signature uses (any case). */
  const sgw_kv_t *fields;
  size_t nfields;
  /* Extra conditions, each a complete JSON value as JSON.stringify would
   * write it (an object or an array), listed first: the SDK's
   * `Conditions`, e.g. ["content-length-range",0,1048576]. */
  const char *const *conditions;
  size_t nconditions;
} sgw_s3_post_t;

typedef struct sgw_s3_post_result_s {
  sgw_buf_t url;                   /* where the form is posted */
  sgw_buf_t policy;                /* the policy JSON */
  sgw_buf_t policy_b64;            /* the Policy field */
  char credential[SGW_S3_ID_MAX + 2 * SGW_S3_NAME_MAX + 32];
  char amz_date[17];               /* X-Amz-Date */
  char signature[65];              /* X-Amz-Signature */
} sgw_s3_post_result_t;

/* Builds and signs a POST policy exactly as createPresignedPost does:
 *   {"expiration":"<date+expires, ISO 8601 without ms>","conditions":[
 *     <conditions...>, {<field>:<value>}..., {"bucket":B},
 *     {"X-Amz-Algorithm":"AWS4-HMAC-SHA256"}, {"X-Amz-Credential":C},
 *     {"X-Amz-Date":D}[, {"X-Amz-Security-Token":T}], {"key":K}]}
 *   (a condition whose text repeats an earlier one is dropped)
 *   Policy          = base64(policy JSON)
 *   X-Amz-Signature = hex(HMAC(SigningKey, Policy))
 * The form fields, in the SDK's order: the extra fields, bucket,
 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, [X-Amz-Security-Token],
 * key, Policy, X-Amz-Signature. SGW_EINVAL also for a string that is not
 * valid UTF-8 or a condition that does not start with '{' or '['. The
 * result's buffers are initialised here; release them with
 * sgw_s3_post_result_free(), also after an error. */
int sgw_s3_post_policy(const sgw_s3_signer_t *s, const sgw_s3_post_t *p,
                       sgw_s3_post_result_t *res);
void sgw_s3_post_result_free(sgw_s3_post_result_t *res);

/* Appends the URL of a bucket (where POST forms go): virtual-hosted
 * "https://<bucket>.<host>/" or path style "http://<host>/<bucket>". */
int sgw_s3_bucket_url(const sgw_s3_signer_t *s, const char *bucket,
                      sgw_buf_t *out);

#endif
