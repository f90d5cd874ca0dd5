/* Strict JSON objects for JWT headers, claims and JWK Sets.
 *
 * cJSON is lenient where a token must not be: it keeps duplicate member
 * names (a verifier and the application could then read different
 * values), cuts strings at an escaped NUL and does not check UTF-8. The
 * checks it lacks are made here, before and after it parses. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sign/jwt_key.h"
#include "signgw/error.h"
#include "signgw/json.h"

/* A backslash appears only inside strings, where it starts an escape, so
 * a linear scan that skips each escape's second character finds every
 * "\u0000" and nothing else. */
static int json_has_nul_escape(const char *s, size_t len) {
  size_t i;

  for (i = 0; i + 1 < len; i++) {
    if (s[i] != '\\')
      continue;
    if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
      return 1;
    i++; /* the escaped character */
  }
  return 0;
}

static int json_cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate names and depth, in the whole tree. */
static int json_walk(const cJSON *j, int depth) {
  const cJSON *c;
  const char **names = NULL;
  size_t n = 0, i;
  int rc = SGW_OK;

  if (depth >= SGW_JWT_MAX_DEPTH) /* the root is depth 0 */
    return SGW_EINVAL;
  if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
    return SGW_OK;
  for (c = j->child; c != NULL; c = c->next) {
    rc = json_walk(c, depth + 1);
    if (rc != SGW_OK)
      return rc;
    n++;
  }
  if (!cJSON_IsObject(j) || n < 2)
    return SGW_OK;
  /* Sorting finds duplicates in n log n: a header is read before its
   * signature is checked, so it must not cost quadratic time. */
  names = malloc(n * sizeof(*names));
  if (names == NULL)
    return SGW_ENOMEM;
  for (i = 0, c = j->child; c != NULL; c = c->next)
    names[i++] = c->string;
  qsort(names, n, sizeof(*names), json_cmp_names);
  for (i = 1; i < n; i++)
    if (strcmp(names[i - 1], names[i]) == 0) {
      rc = SGW_EINVAL;
      break;
    }
  free(names);
  return rc;
}

int sgw__jwt_json_object(const char *s, size_t len, cJSON **out) {
  const char *end = NULL;
  cJSON *j;
  int rc;

  *out = NULL;
  if (!sgw_utf8_valid(s, len) ||
      json_has_nul_escape(s, len))
    return SGW_EINVAL;
  j = cJSON_ParseWithLengthOpts(s, len, &end, 0);
  if (j == NULL)
    return SGW_EINVAL;
  while (end < s + len && *end != '\0' &&
         strchr(" \t\r\n", *end) != NULL)
    end++;
  rc = end == s + len && cJSON_IsObject(j) ? json_walk(j, 0) : SGW_EINVAL;
  if (rc != SGW_OK) {
    cJSON_Delete(j);
    return rc;
  }
  *out = j;
  return SGW_OK;
}
