/* Test-only: builds cos.h requests from the JSON objects that
 * vectors.json and live_oracle.js use, so the vector test and cos_tool read
 * inputs the same way.
 *
 * Request object: {"secretId","secretKey","method","path","keyTime":"s;e",
 *                  "headers":{name:value},"query":{name:value}}
 * Policy object:  {"secretId","secretKey","bucket","key","start","end",
 *                  "minSize","maxSize","securityToken":null|"...",
 *                  "extra":["<JSON text>", ...]}
 * Object members are taken in document order, which is the JS iteration
 * order the SDK saw (JSON.stringify writes them in that order). The
 * structures point into the cJSON tree; free them before the tree. */
#ifndef SGW_TESTS_ORACLE_COS_JSON_H
#define SGW_TESTS_ORACLE_COS_JSON_H

#include <cjson/cJSON.h>

#include "signgw/cos.h"

typedef struct oracle_sign_s {
  sgw_cos_sign_t req;
  sgw_kv_t *kv;  /* headers then params, one allocation */
} oracle_sign_t;

typedef struct oracle_policy_s {
  sgw_cos_policy_t req;
  const char **extra;
} oracle_policy_t;

/* 0, or -1 with a message in err (a malformed test input, not a failure
 * of the code under test). */
int oracle_sign_from_json(const cJSON *o, oracle_sign_t *s, const char **err);
void oracle_sign_free(oracle_sign_t *s);

int oracle_policy_from_json(const cJSON *o, oracle_policy_t *p,
                            const char **err);
void oracle_policy_free(oracle_policy_t *p);

/* Presign object: {"secretId","secretKey","securityToken","scheme","host",
 *                  "method","key","start","end","headers":{},"query":{}}
 * p->headers and p->params are allocated (oracle_presign_free). */
int oracle_presign_from_json(const cJSON *o, sgw_cos_presign_t *p,
                             const char **err);
void oracle_presign_free(sgw_cos_presign_t *p);

/* The string members of an object as a new kv array (the caller frees
 * it; names and values point into the tree), in document order; NULL when
 * out of memory. A missing object gives an empty array. */
sgw_kv_t *oracle_kv_object(const cJSON *obj, size_t *n);

/* "s;e" with two decimal integers. */
int oracle_parse_key_time(const char *s, int64_t *start, int64_t *end);

/* Member string or NULL when missing / not a string. */
const char *oracle_str(const cJSON *o, const char *name);

#endif
