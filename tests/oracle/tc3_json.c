#include "tc3_json.h"

#include <stdlib.h>
#include <string.h>

#include "signgw/crypto.h"

/* Member string, NULL when it is JSON null; -1 when missing or another
 * type (null only where `nullable`). */
static int tc3_str(const cJSON *o, const char *name, int nullable,
                   const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (cJSON_IsString(v)) {
    *out = v->valuestring;
    return 0;
  }
  if (nullable && cJSON_IsNull(v)) {
    *out = NULL;
    return 0;
  }
  return -1;
}

int tc3_case_from_json(const cJSON *o, tc3_case_t *c, const char **err) {
  sgw_tc3_request_t *r = &c->req;
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
  const char *b64 = NULL;
  size_t len = 0;

  memset(c, 0, sizeof(*c));
  if (tc3_str(o, "secretId", 0, &r->secret_id) < 0 ||
      tc3_str(o, "secretKey", 0, &r->secret_key) < 0 ||
      tc3_str(o, "token", 1, &r->security_token) < 0 ||
      tc3_str(o, "service", 0, &r->service) < 0 ||
      tc3_str(o, "host", 0, &r->host) < 0 ||
      tc3_str(o, "action", 0, &r->action) < 0 ||
      tc3_str(o, "version", 0, &r->version) < 0 ||
      tc3_str(o, "region", 1, &r->region) < 0 ||
      tc3_str(o, "contentType", 1, &r->content_type) < 0 ||
      tc3_str(o, "payloadB64", 0, &b64) < 0)
    return *err = "a string member is missing or has the wrong type", -1;
  if (!cJSON_IsNumber(ts)) return *err = "timestamp is not a number", -1;
  r->timestamp = (int64_t)ts->valuedouble; /* inputs stay below 2^53 */
  len = strlen(b64);
  c->payload = malloc(len * 3 / 4 + 3);
  if (c->payload == NULL) return *err = "out of memory", -1;
  if (sgw_base64_decode(b64, len, c->payload, &r->payload_len, 0) < 0)
    return *err = "payloadB64 is not base64", -1;
  r->payload = (const char *)c->payload;
  return 0;
}

void tc3_case_free(tc3_case_t *c) {
  free(c->payload);
  c->payload = NULL;
}
