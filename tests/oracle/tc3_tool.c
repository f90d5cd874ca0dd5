/* Test-only signer driven by live_tc3_oracle.js: one JSON case per input
 * line (the shape in tc3_json.h), one output line per input line, so the
 * two sides stay aligned:
 *   -> {"<header name>":"<value>",...} in the order tc3.c gives them
 *   -> "ERROR <code> <what>" on any error */
#include <stdio.h>
#include <stdlib.h>

#include "tc3_json.h"

static void print_error(int code, const char *what) {
  printf("ERROR %d %s\n", code, what);
}

static void do_case(const cJSON *o) {
  const char *err = "";
  sgw_tc3_result_t res;
  tc3_case_t c;
  cJSON *out;
  char *text;
  int rc;

  if (tc3_case_from_json(o, &c, &err) < 0) {
    print_error(0, err);
    tc3_case_free(&c);
    return;
  }
  rc = sgw_tc3_sign(&c.req, &res);
  if (rc < 0) {
    print_error(rc, "sgw_tc3_sign");
    tc3_case_free(&c);
    return;
  }
  out = cJSON_CreateObject();
  for (size_t i = 0; out != NULL && i < res.nheaders; i++)
    cJSON_AddStringToObject(out, res.headers[i].name, res.headers[i].value);
  text = out ? cJSON_PrintUnformatted(out) : NULL;
  if (text)
    printf("%s\n", text);
  else
    print_error(0, "cJSON_PrintUnformatted");
  cJSON_free(text);
  cJSON_Delete(out);
  tc3_case_free(&c);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;

  while (getline(&line, &cap, stdin) >= 0) {
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o))
      print_error(0, "input line is not a JSON object");
    else
      do_case(o);
    cJSON_Delete(o);
    fflush(stdout);
  }
  free(line);
  return 0;
}
