/* Test-only: builds a tc3.h request from the JSON objects that
 * tc3_vectors.json and live_tc3_oracle.js use, so the vector test and
 * tc3_tool read inputs the same way.
 *
 * Object: {"secretId","secretKey","token":null|"...","service","host",
 *          "action","version","region":null|"...","timestamp",
 *          "contentType":null|"...","payloadB64"}
 * Strings point into the cJSON tree; the payload is decoded into memory
 * the structure owns. Free it with tc3_case_free() before the tree. */
#ifndef SGW_TESTS_ORACLE_TC3_JSON_H
#define SGW_TESTS_ORACLE_TC3_JSON_H

#include <cjson/cJSON.h>

#include "signgw/tc3.h"

typedef struct tc3_case_s {
  sgw_tc3_request_t req;
  unsigned char *payload; /* decoded payloadB64 */
} tc3_case_t;

/* 0, or -1 with a message in err (a malformed test input, not a failure
 * of the code under test). */
int tc3_case_from_json(const cJSON *o, tc3_case_t *c, const char **err);
void tc3_case_free(tc3_case_t *c);

#endif
