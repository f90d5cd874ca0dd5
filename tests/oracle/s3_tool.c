/* Test-only signer driven by live_s3_oracle.js: one JSON case per input
 * line (the shape in s3_json.h), one output line per input line, so the
 * two sides stay aligned:
 *   -> the output object of s3_json.h, as one line of JSON
 *   -> "ERROR <code> <what>" on any error
 * All cases share one signing-key cache, as a worker does. */
#include "oracle.h"
#include "s3_json.h"

static void do_case(const cJSON *o, void *arg) {
  sgw_s3_key_cache_t *cache = arg;
  const char *err = "";
  cJSON *out;
  s3_case_t c;
  int rc = 0;

  if (s3_case_from_json(o, &c, &err) < 0)
    oracle_print_error(0, err);
  else if ((out = s3_case_run(&c, cache, &rc)) == NULL)
    oracle_print_error(rc, "signing failed");
  else
    oracle_print_json(out);
  s3_case_free(&c);
}

int main(void) {
  sgw_s3_key_cache_t cache;

  sgw_s3_key_cache_init(&cache);
  oracle_each_line(do_case, &cache);
  sgw_s3_key_cache_wipe(&cache);
  return 0;
}
