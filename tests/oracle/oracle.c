#include "oracle.h"

#include <stdlib.h>

int oracle_passed, oracle_failed;

cJSON *oracle_load_json(const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  char *buf = NULL;
  cJSON *root = NULL;
  long n;

  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
      fread(buf, 1, (size_t)n, f) == (size_t)n) {
    buf[n] = '\0';
    root = cJSON_Parse(buf);
  }
  free(buf);
  fclose(f);
  return root;
}

int oracle_report(void) {
  printf("%d passed, %d failed\n", oracle_passed, oracle_failed);
  return oracle_failed != 0;
}

void oracle_print_error(int code, const char *what) {
  printf("ERROR %d %s\n", code, what);
}

void oracle_print_json(cJSON *o) {
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;

  if (text)
    printf("%s\n", text);
  else
    oracle_print_error(0, "cJSON_PrintUnformatted");
  cJSON_free(text);
  cJSON_Delete(o);
}

void oracle_each_line(void (*fn)(const cJSON *o, void *arg), void *arg) {
  char *line = NULL;
  size_t cap = 0;

  while (getline(&line, &cap, stdin) >= 0) {
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o))
      oracle_print_error(0, "input line is not a JSON object");
    else
      fn(o, arg);
    cJSON_Delete(o);
    fflush(stdout);
  }
  free(line);
}
