/* Test-only signer driven by live_s3_oracle.js: one JSON case per input
 * line (the shape in s3_json.h), one output line per input line, so the
 * two sides stay aligned:
 *   -> the output object of s3_json.h, as one line of JSON
 *   -> "ERROR <code> <what>" on any error
 * All cases share one signing-key cache, as a worker does. */
#include <stdio.h>
#include <stdlib.h>

#include "s3_json.h"

static void print_error(int code, const char *what) {
  printf("ERROR %d %s\n", code, what);
}

int main(void) {
  sgw_s3_key_cache_t cache;
  char *line = NULL;
  size_t cap = 0;

  sgw_s3_key_cache_init(&cache);
  while (getline(&line, &cap, stdin) >= 0) {
    cJSON *o = cJSON_Parse(line), *out;
    const char *err = "";
    s3_case_t c;
    char *text;
    int rc = 0;

    if (!cJSON_IsObject(o)) {
      print_error(0, "input line is not a JSON object");
    } else if (s3_case_from_json(o, &c, &err) < 0) {
      print_error(0, err);
      s3_case_free(&c);
    } else if ((out = s3_case_run(&c, &cache, &rc)) == NULL) {
      print_error(rc, "signing failed");
      s3_case_free(&c);
    } else {
      text = cJSON_PrintUnformatted(out);
      if (text)
        printf("%s\n", text);
      else
        print_error(0, "cJSON_PrintUnformatted");
      cJSON_free(text);
      cJSON_Delete(out);
      s3_case_free(&c);
    }
    cJSON_Delete(o);
    fflush(stdout);
  }
  free(line);
  sgw_s3_key_cache_wipe(&cache);
  return 0;
}
