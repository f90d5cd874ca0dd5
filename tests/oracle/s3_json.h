/* Test-only: runs the S3 SigV4 cases that s3_vectors.json and
 * live_s3_oracle.js use (the object s3_refs.js's toolInput() writes), so
 * the vector test and s3_tool read inputs and write results the same way.
 *
 * Input object:
 *   {"kind":"presign"|"request"|"post","accessKeyId","secretAccessKey",
 *    "sessionToken":null|"...","region","service":null|"...",
 *    "endpoint":null|"<url>","forcePathStyle":bool,"bucket":null|"...",
 *    "key":null|"...","method","date","expires",
 *    "headers":[[n,v],...],"query":[[n,v],...],
 *    request: "payloadB64","payloadHash":null|"...",
 *    post: "fields":[[n,v],...],"conditions":["<json>",...]}
 * Output object (what s3_refs.js's sdkCase() answers):
 *   presign {"url"}
 *   request {"url","authorization","host","x-amz-date","x-amz-content-sha256"}
 *   post    {"url","fields":{<in the SDK's order>}}
 * Strings point into the cJSON tree; free the case with s3_case_free()
 * before the tree. */
#ifndef SGW_TESTS_ORACLE_S3_JSON_H
#define SGW_TESTS_ORACLE_S3_JSON_H

#include <cjson/cJSON.h>

#include "signgw/s3.h"

typedef struct s3_case_s {
  int kind; /* 0 presign, 1 request, 2 post */
  sgw_s3_endpoint_t endpoint;
  sgw_s3_signer_t signer;
  sgw_s3_presign_t presign;
  sgw_s3_request_t request;
  sgw_s3_post_t post;
  sgw_kv_t headers[SGW_S3_MAX_PAIRS + 1];
  sgw_kv_t query[SGW_S3_MAX_PAIRS + 1];
  sgw_kv_t fields[SGW_S3_MAX_PAIRS + 1];
  const char *conditions[SGW_S3_MAX_PAIRS + 1];
  unsigned char *payload;
} s3_case_t;

/* 0, or -1 with a message in err (a malformed test input, not a failure
 * of the code under test). An endpoint the code refuses is not an input
 * error: s3_case_run() reports it. */
int s3_case_from_json(const cJSON *o, s3_case_t *c, const char **err);
/* Signs the case. Returns the output object (the caller deletes it), or
 * NULL with the error code in *rc. The optional cache is used for every
 * signature. */
cJSON *s3_case_run(s3_case_t *c, sgw_s3_key_cache_t *cache, int *rc);
void s3_case_free(s3_case_t *c);

#endif
