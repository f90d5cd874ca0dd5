/* Replays s3_vectors.json (answered by the AWS SDK for JavaScript v3, see
 * gen_s3_vectors.js) against s3.c: every output string byte for byte,
 * POST form fields in the SDK's order, once without and once with a
 * signing-key cache shared by all vectors. The secret key must appear in
 * no output.
 *
 *   test_s3_vectors path/to/s3_vectors.json
 *
 * Prints every failure and a final "N passed, N failed"; exits 1 on any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "s3_json.h"


/* want and got: objects of strings (or, for "fields", nested objects),
 * compared member by member in order. */
static void compare(const char *name, const cJSON *want, const cJSON *got,
                    const char *secret) {
  const cJSON *w = want ? want->child : NULL, *g = got ? got->child : NULL;
  for (; w != NULL; w = w->next, g = g ? g->next : NULL) {
    if (cJSON_IsObject(w)) {
      CHECK(g != NULL && strcmp(g->string, w->string) == 0, "[%s] member %s missing", name,
            w->string);
      compare(name, w, g, secret);
      continue;
    }
    CHECK(g != NULL && g->string != NULL && strcmp(g->string, w->string) == 0 &&
              cJSON_IsString(g) && strcmp(g->valuestring, w->valuestring) == 0,
          "[%s] %s\n   got: %s: %s\n  want: %s", name, w->string,
          g && g->string ? g->string : "(none)",
          g && cJSON_IsString(g) ? g->valuestring : "", w->valuestring);
    if (g != NULL && cJSON_IsString(g))
      CHECK(strstr(g->valuestring, secret) == NULL, "[%s] secret key in %s", name,
            w->string);
  }
  CHECK(g == NULL, "[%s] extra member %s", name, g ? g->string : "");
}

static void run_vector(const cJSON *v, sgw_s3_key_cache_t *cache) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
  const cJSON *in = cJSON_GetObjectItemCaseSensitive(v, "input");
  const cJSON *want = cJSON_GetObjectItemCaseSensitive(v, "expected");
  const char *n = cJSON_IsString(name) ? name->valuestring : "?", *err = "";
  s3_case_t c;
  cJSON *got;
  int rc = 0;

  if (s3_case_from_json(in, &c, &err) < 0 || !cJSON_IsObject(want)) {
    CHECK(0, "[%s] bad vector: %s", n, err);
    s3_case_free(&c);
    return;
  }
  got = s3_case_run(&c, cache, &rc);
  CHECK(got != NULL, "[%s] signing failed: %d", n, rc);
  if (got != NULL)
    compare(n, want, got, c.signer.secret_access_key);
  cJSON_Delete(got);
  s3_case_free(&c);
}

int main(int argc, char **argv) {
  cJSON *root = oracle_load_json(argc > 1 ? argv[1] : NULL);
  sgw_s3_key_cache_t cache;
  const cJSON *v;
  int count = 0;

  if (root == NULL) {
    printf("cannot read or parse %s\n", argc > 1 ? argv[1] : "(no file given)");
    return 1;
  }
  sgw_s3_key_cache_init(&cache);
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
    run_vector(v, NULL);
    run_vector(v, &cache);
    count++;
  }
  /* The shared cache was used, and hit (vectors share days and regions). */
  CHECK(cache.hits > 0 && cache.misses > 0, "cache hits %llu, misses %llu",
        (unsigned long long)cache.hits, (unsigned long long)cache.misses);
  sgw_s3_key_cache_wipe(&cache);
  cJSON_Delete(root);
  /* An empty or truncated file must not pass quietly. */
  CHECK(count >= 60, "only %d vectors", count);
  return oracle_report();
}
