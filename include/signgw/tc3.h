/* Tencent Cloud API 3.0 request signatures: TC3-HMAC-SHA256.
 *
 * Pure function: no Lua, no I/O, no globals, no allocation. The output is
 * byte-identical to the official SDK (tencentcloud-sdk-nodejs-common,
 * Sign.sign3) for a POST of a JSON body to https://<host>/:
 *
 *   CanonicalRequest = "POST\n/\n\n"
 *                      "content-type:" ContentType "\n"
 *                      "host:" HostName "\n\n"
 *                      "content-type;host\n"
 *                      hex(SHA256(payload))
 *   Date             = UTC date of Timestamp, "YYYY-MM-DD"
 *   Scope            = Date "/" Service "/tc3_request"
 *   StringToSign     = "TC3-HMAC-SHA256\n" Timestamp "\n" Scope "\n"
 *                      hex(SHA256(CanonicalRequest))
 *   SecretSigning    = HMAC(HMAC(HMAC("TC3" SecretKey, Date), Service),
 *                           "tc3_request")          (all HMAC-SHA256)
 *   Authorization    = "TC3-HMAC-SHA256 Credential=" SecretId "/" Scope
 *                      ", SignedHeaders=content-type;host, Signature="
 *                      hex(HMAC(SecretSigning, StringToSign))
 *
 * Where Tencent's documentation and the SDK could read differently, the
 * input is normalised first and the normalised value is what the caller
 * sends, so both agree on the bytes:
 *   - the Content-Type value is trimmed of spaces and tabs and ASCII
 *     lower-cased (the documentation lower-cases signed header values, the
 *     SDK signs what it sends);
 *   - the host is ASCII lower-cased; a ":port" suffix is sent in the Host
 *     header but not signed (the SDK signs URL.hostname, as the real
 *     endpoint, on port 443, sees it).
 * Hosts that a URL parser would rewrite are refused rather than guessed
 * at: IPv6 literals, non-ASCII names, and numeric hosts other than a
 * canonical dotted quad (WHATWG URL turns "127.1" into "127.0.0.1"). */
#ifndef SIGNGW_TC3_H
#define SIGNGW_TC3_H

#include <stddef.h>
#include <stdint.h>

#define SGW_TC3_ALGORITHM "TC3-HMAC-SHA256"
#define SGW_TC3_DEFAULT_CONTENT_TYPE "application/json; charset=utf-8"

/* Bounds on the inputs (longer ones are SGW_EINVAL). */
#define SGW_TC3_ID_MAX 128        /* secret_id */
#define SGW_TC3_KEY_MAX 256       /* secret_key */
#define SGW_TC3_NAME_MAX 64       /* service, action, version, region */
#define SGW_TC3_HOST_MAX 261      /* host[:port] */
#define SGW_TC3_CTYPE_MAX 256     /* content_type */
#define SGW_TC3_TOKEN_MAX 16384   /* security_token */
/* Latest timestamp: 9999-12-31T23:59:59Z (the SDK's date is 4 digits). */
#define SGW_TC3_TIMESTAMP_MAX INT64_C(253402300799)

typedef struct sgw_tc3_request_s {
  const char *secret_id;      /* printable ASCII without ' ', ',', '/' */
  const char *secret_key;     /* NUL-terminated; never copied into output */
  const char *security_token; /* optional (NULL): adds X-TC-Token */
  const char *service;        /* e.g. "sts"; [A-Za-z0-9_.-] */
  const char *host;           /* e.g. "sts.tencentcloudapi.com",
                                 "127.0.0.1:8443" */
  const char *action;         /* e.g. "GetFederationToken"; [A-Za-z0-9_.-] */
  const char *version;        /* e.g. "2018-08-13"; [A-Za-z0-9_.-] */
  const char *region;         /* optional (NULL or ""): adds X-TC-Region */
  int64_t timestamp;          /* unix seconds, 0..SGW_TC3_TIMESTAMP_MAX */
  const char *content_type;   /* NULL: SGW_TC3_DEFAULT_CONTENT_TYPE */
  const char *payload;        /* the request body, any bytes */
  size_t payload_len;         /* payload may be NULL when this is 0 */
} sgw_tc3_request_t;

typedef struct sgw_tc3_header_s {
  const char *name;
  const char *value;          /* NUL-terminated */
} sgw_tc3_header_t;

#define SGW_TC3_MAX_HEADERS 8

/* What the caller sends: headers[0..nheaders) in this order:
 * Authorization, Content-Type, Host, X-TC-Action, X-TC-Timestamp,
 * X-TC-Version, then X-TC-Region and X-TC-Token when given.
 * Values point into the result's own arrays or, for action, version,
 * region and token, into the request's strings: they are valid while both
 * live. The caller owns the result (a plain struct, nothing to free). */
typedef struct sgw_tc3_result_s {
  sgw_tc3_header_t headers[SGW_TC3_MAX_HEADERS];
  size_t nheaders;
  char authorization[512];
  char content_type[SGW_TC3_CTYPE_MAX + 1];
  char host[SGW_TC3_HOST_MAX + 1];
  char timestamp[24];
  char date[16];              /* "YYYY-MM-DD", part of the scope */
} sgw_tc3_result_t;

/* Signs `req` into `res`. SGW_EINVAL when a required field is missing or
 * empty, or a field breaks the rules above (a header value with a control
 * character, a host that is not a plain name or dotted quad with an
 * optional port 1..65535, ...); SGW_ERANGE for a timestamp out of range;
 * SGW_ECRYPTO if OpenSSL fails. On error `res` holds no headers. */
int sgw_tc3_sign(const sgw_tc3_request_t *req, sgw_tc3_result_t *res);

/* The value of header `name` (ASCII case-insensitive) in `res`, or NULL. */
const char *sgw_tc3_header(const sgw_tc3_result_t *res, const char *name);

#endif
