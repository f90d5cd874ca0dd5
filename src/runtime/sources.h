/* The script sources of one generation, read from disk once.
 *
 * Every worker's VM of a generation is built from the same bytes, and a
 * module that a handler require()s lazily, long after the reload, still
 * comes from its generation's snapshot rather than from whatever is on
 * disk by then. So every request is answered by one generation's code. */
#ifndef SGW_SOURCES_H
#define SGW_SOURCES_H

#include <stddef.h>

struct lua_State;

typedef struct sgw_source_s {
  char *name;   /* module name, "policy.keys" */
  char *path;   /* file it came from, for messages */
  char *text;
  size_t len;
} sgw_source_t;

typedef struct sgw_sources_s {
  char *config;          /* the config file's text */
  size_t config_len;
  sgw_source_t *mods;
  size_t nmods;
  int have_mods;         /* the module folders have been read */
} sgw_sources_t;

int sgw_sources_read_config(sgw_sources_t *s, const char *path, char *err,
                            size_t errlen);
/* Reads every *.lua below the folders; an earlier folder wins, and in one
 * folder "a.lua" wins over "a/init.lua", as with package.path. */
int sgw_sources_read_modules(sgw_sources_t *s, char *const *dirs,
                             size_t ndirs, char *err, size_t errlen);
void sgw_sources_free(sgw_sources_t *s);

/* Makes require() load from the snapshot only: replaces package.searchers
 * with the preload searcher and one over a copy of the sources. */
void sgw_sources_install(struct lua_State *L, const sgw_sources_t *s);

#endif
