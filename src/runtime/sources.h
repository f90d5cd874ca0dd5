/* The script sources of one generation, read from disk once.
 *
 * Every worker's VM of a generation is built from the same bytes, and a
 * module that a handler require()s lazily, long after the reload, still
 * comes from its generation's snapshot rather than from whatever is on
 * disk by then. So every request is answered by one generation's code. */
#ifndef SGW_SOURCES_H
#define SGW_SOURCES_H

#include <stddef.h>
#include <sys/stat.h>

struct lua_State;

#define SGW_SOURCES_MAX_DEPTH 8     /* folders below a script folder */
#define SGW_SOURCES_MAX_FILES 10000 /* scripts read or watched */

typedef struct sgw_source_s {
  char *name;   /* module name, "policy.keys" */
  char *path;   /* file it came from, for messages */
  char *text;
  size_t len;
} sgw_source_t;

typedef struct sgw_sources_s {
  char *config_path;     /* the config file, symlinks resolved at this read */
  char *config;          /* the config file's text */
  size_t config_len;
  sgw_source_t *mods;
  size_t nmods;
  int have_mods;         /* the module folders have been read */
} sgw_sources_t;

/* Resolves `path` (symlinks too) into s->config_path and reads that file,
 * which must be a regular file (a FIFO is refused without waiting). */
int sgw_sources_read_config(sgw_sources_t *s, const char *path, char *err,
                            size_t errlen);
/* Reads every *.lua below the folders; an earlier folder wins, and in one
 * folder "a.lua" wins over "a/init.lua", as with package.path. */
int sgw_sources_read_modules(sgw_sources_t *s, char *const *dirs,
                             size_t ndirs, char *err, size_t errlen);
void sgw_sources_free(sgw_sources_t *s);

/* Walking a script folder: every *.lua file below `root`, as require()
 * finds them. Hidden entries are skipped (editor swap files, Kubernetes
 * ConfigMap internals: the visible names are links into them), symlinks
 * are followed, at most SGW_SOURCES_MAX_DEPTH folders deep. A folder that
 * does not exist is empty. */
typedef struct sgw_walk_s sgw_walk_t;
struct sgw_walk_s {
  /* A regular *.lua file; its name below the root is path + root_len + 1.
   * A non-zero return ends the walk with that value. */
  int (*file)(sgw_walk_t *w, const char *path, size_t root_len,
              const struct stat *st);
  /* `path` (a folder, or an entry in one) exists but could not be read,
   * for a reason other than not existing: errno `e`. What it holds is
   * unknown, which is not the same as empty. 0 goes on. */
  int (*error)(sgw_walk_t *w, const char *path, int e);
  void *data;
};
int sgw_sources_walk(sgw_walk_t *w, const char *root);

/* Makes require() load from the snapshot only: replaces package.searchers
 * with the preload searcher and one over a copy of the sources. */
void sgw_sources_install(struct lua_State *L, const sgw_sources_t *s);

#endif
