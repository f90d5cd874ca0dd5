/* Test-only signer driven by live_tc3_oracle.js: one JSON case per input
 * line (the shape in tc3_json.h), one output line per input line, so the
 * two sides stay aligned:
 *   -> {"<header name>":"<value>",...} in the order tc3.c gives them
 *   -> "ERROR <code> <what>" on any error */
#include "oracle.h"
#include "tc3_json.h"

static void do_case(const cJSON *o, void *arg) {
  const char *err = "";
  sgw_tc3_result_t res;
  tc3_case_t c;
  cJSON *out;
  int rc;

  (void)arg;
  if (tc3_case_from_json(o, &c, &err) < 0) {
    oracle_print_error(0, err);
    tc3_case_free(&c);
    return;
  }
  rc = sgw_tc3_sign(&c.req, &res);
  if (rc < 0) {
    oracle_print_error(rc, "sgw_tc3_sign");
    tc3_case_free(&c);
    return;
  }
  out = cJSON_CreateObject();
  for (size_t i = 0; out != NULL && i < res.nheaders; i++)
    cJSON_AddStringToObject(out, res.headers[i].name, res.headers[i].value);
  oracle_print_json(out);
  tc3_case_free(&c);
}

int main(void) {
  oracle_each_line(do_case, NULL);
  return 0;
}
