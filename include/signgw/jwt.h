/* JSON Web Token verification (RFC 7519, JWS compact form RFC 7515).
 *
 * Algorithms: HS256/384/512, RS256/384/512, PS256, ES256/384, EdDSA
 * (Ed25519). Each key has a type (shared secret, RSA, EC P-256, EC P-384,
 * Ed25519) and a token is checked only with keys whose type fits its
 * "alg", and only if that alg is in the caller's list: "none" and
 * algorithm confusion (an HS token checked with a public key as the HMAC
 * secret, or an RS token against a secret) cannot pass. Header fields
 * that name keys by location or value (jku, jwk, x5u, x5c) are ignored:
 * keys come from the key set only.
 *
 * Ownership: a key set is built by the caller with sgw_jwt_keyset_new()
 * and the add functions, then only read; sgw_jwt_verify() does not change
 * it, so one set may serve several threads at once. sgw_jwt_keyset_free()
 * wipes the secrets and frees everything. A result owns the parsed header
 * and claims (cJSON trees) after a successful verification;
 * sgw_jwt_result_free() releases them.
 *
 * Messages never contain key material. */
#ifndef SIGNGW_JWT_H
#define SIGNGW_JWT_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* Longest token accepted, in bytes. */
#define SGW_JWT_MAX_TOKEN 8192
/* Deepest JSON nesting accepted in a header or payload. */
#define SGW_JWT_MAX_DEPTH 32
/* Most keys one set holds (a JWKS with more is refused). */
#define SGW_JWT_MAX_KEYS 64

typedef enum sgw_jwt_alg_e {
  SGW_JWT_HS256,
  SGW_JWT_HS384,
  SGW_JWT_HS512,
  SGW_JWT_RS256,
  SGW_JWT_RS384,
  SGW_JWT_RS512,
  SGW_JWT_PS256,
  SGW_JWT_ES256,
  SGW_JWT_ES384,
  SGW_JWT_EDDSA,
  SGW_JWT_ALG_COUNT
} sgw_jwt_alg_t;

#define SGW_JWT_ALG_BIT(a) (1u << (a))

/* The JOSE name ("HS256", ..., "EdDSA"); NULL for a value out of range. */
const char *sgw_jwt_alg_name(sgw_jwt_alg_t alg);
/* The alg of a JOSE name (exact, case-sensitive), or SGW_EINVAL. "none"
 * and every name not listed above are SGW_EINVAL. */
int sgw_jwt_alg_parse(const char *name, size_t len);

/* Why a token was refused. The names (sgw_jwt_reason_name) are stable:
 * scripts and logs match on them. */
typedef enum sgw_jwt_reason_e {
  SGW_JWT_OK = 0,
  SGW_JWT_MALFORMED,       /* "malformed": not 3 parts, bad base64url, bad
                            * JSON, non-object, duplicate or wrong-typed
                            * member, invalid UTF-8, NUL in a string */
  SGW_JWT_TOO_LARGE,       /* "too_large": over SGW_JWT_MAX_TOKEN bytes */
  SGW_JWT_UNSUPPORTED,     /* "unsupported": a "crit" header */
  SGW_JWT_ALG_NOT_ALLOWED, /* "alg_not_allowed": none, unknown, or not in
                            * the caller's list */
  SGW_JWT_UNKNOWN_KID,     /* "unknown_kid": no key has the token's kid */
  SGW_JWT_KEY_MISMATCH,    /* "key_mismatch": no key usable for this alg
                            * (type, JWK "alg", "use" or "key_ops") */
  SGW_JWT_BAD_SIGNATURE,   /* "bad_signature" */
  SGW_JWT_EXPIRED,         /* "expired": exp + leeway <= now */
  SGW_JWT_NOT_YET_VALID,   /* "not_yet_valid": nbf - leeway > now */
  SGW_JWT_IAT_IN_FUTURE,   /* "iat_in_future": iat - leeway > now */
  SGW_JWT_MISSING_EXP,     /* "missing_exp": no exp, and one is required */
  SGW_JWT_BAD_ISSUER,      /* "bad_issuer": iss missing or not equal */
  SGW_JWT_BAD_AUDIENCE,    /* "bad_audience": no aud value accepted */
  SGW_JWT_INTERNAL,        /* "internal": out of memory, OpenSSL failure */
  SGW_JWT_REASON_COUNT
} sgw_jwt_reason_t;

const char *sgw_jwt_reason_name(sgw_jwt_reason_t reason);

/* ---- key sets ---------------------------------------------------------- */

typedef struct sgw_jwt_keyset_s sgw_jwt_keyset_t;

/* A new, empty set in *out (the caller frees it). SGW_ENOMEM. */
int sgw_jwt_keyset_new(sgw_jwt_keyset_t **out);
/* Wipes the secrets and frees the set; NULL is allowed. */
void sgw_jwt_keyset_free(sgw_jwt_keyset_t *ks);
/* Number of keys held (including JWKS entries kept only for their kid). */
size_t sgw_jwt_keyset_count(const sgw_jwt_keyset_t *ks);

/* A shared secret for HS256/384/512, copied (the caller may wipe its
 * copy). Its bytes are used as they are. SGW_EINVAL if empty. */
int sgw_jwt_keyset_add_secret(sgw_jwt_keyset_t *ks, const void *secret,
                              size_t len);

/* Every PEM block of `pem`: "PUBLIC KEY" (SubjectPublicKeyInfo), "RSA
 * PUBLIC KEY" (PKCS#1) or "CERTIFICATE" (its public key; the certificate
 * itself is not checked). Key types: RSA of at least 2048 bits, EC P-256
 * or P-384, Ed25519. Private keys, other types and text without any PEM
 * block are SGW_EINVAL, with a reason in err; the set is then unchanged. */
int sgw_jwt_keyset_add_pem(sgw_jwt_keyset_t *ks, const char *pem, size_t len,
                           char *err, size_t errlen);

/* A JWK Set (RFC 7517) as JSON text: {"keys":[...]}. Accepted: kty RSA
 * (n, e), EC (crv P-256/P-384, x, y), OKP (crv Ed25519, x). A key of
 * another kty or curve is kept only for its kid (a token naming it gets
 * key_mismatch, not unknown_kid); "oct" keys refuse the whole set, since a
 * secret published in a key set is no secret. A JWK's "alg", "use" and
 * "key_ops", when present, restrict what it verifies. Malformed JSON or
 * members, more than SGW_JWT_MAX_KEYS keys or no usable key at all are
 * SGW_EINVAL with a reason in err; the set is then unchanged. */
int sgw_jwt_keyset_add_jwks(sgw_jwt_keyset_t *ks, const char *json,
                            size_t len, char *err, size_t errlen);

/* ---- verification ------------------------------------------------------ */

typedef struct sgw_jwt_opts_s {
  unsigned algs;          /* SGW_JWT_ALG_BIT() of each accepted alg */
  const char *iss;        /* exact issuer required, or NULL */
  const char *const *aud; /* accepted audiences (any one), or NULL */
  size_t naud;            /* entries in aud; 0 means aud is not checked */
  int64_t now;            /* current time, unix seconds */
  int64_t leeway;         /* seconds of clock skew forgiven, >= 0 */
  int require_exp;        /* a token without exp is refused */
} sgw_jwt_opts_t;

typedef struct sgw_jwt_result_s {
  sgw_jwt_reason_t reason;
  sgw_jwt_alg_t alg;      /* valid when reason is SGW_JWT_OK */
  char msg[128];          /* a sentence for logs; never key material */
  struct cJSON *header;   /* owned; set only on success */
  struct cJSON *claims;   /* owned; set only on success */
} sgw_jwt_result_t;

/* Verifies the compact JWS `token` (len bytes) and its claims.
 * Returns 0 when the token is valid: res->header and res->claims then hold
 * the parsed JSON objects. Otherwise res->reason and res->msg say why and
 * the return is SGW_ENOENT for an unknown kid (the caller may refetch its
 * JWKS), SGW_ENOMEM or SGW_ECRYPTO for an internal failure, and SGW_EINVAL
 * for every other refusal. `res` is always initialised; call
 * sgw_jwt_result_free() after any return. Checks, in order: size, form,
 * header, alg, key, signature, payload, exp, nbf, iat, iss, aud. */
int sgw_jwt_verify(const sgw_jwt_keyset_t *ks, const char *token, size_t len,
                   const sgw_jwt_opts_t *opts, sgw_jwt_result_t *res);

void sgw_jwt_result_free(sgw_jwt_result_t *res);

#endif
