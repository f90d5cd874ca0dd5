/* Watching the scripts: polls the config file and every *.lua file below
 * the script folders, and reports a change once the files have been quiet
 * for a moment, so a burst of saves gives one reload.
 *
 * Polling (rather than inotify) sees every editor's save pattern the same
 * way: in-place writes, truncation, rename over, new folders, deletions,
 * and symlink swaps such as Kubernetes ConfigMaps use.
 *
 * Only a file that is not there any more counts as deleted. A folder or
 * file that exists but cannot be read right now (no descriptors left, no
 * permission) keeps what the last scan saw, so running out of descriptors
 * does not look like every script being deleted. */
#ifndef SGW_WATCH_H
#define SGW_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "signgw/buf.h"

typedef struct sgw_fent_s sgw_fent_t;
typedef struct sgw_watch_s sgw_watch_t;

/* `changed` lists the changed, added and removed files, comma-separated. */
typedef void (*sgw_watch_cb)(sgw_watch_t *w, const char *changed);

struct sgw_watch_s {
  uv_timer_t timer;
  char *config_path;
  char **roots;
  size_t nroots;
  char **files;           /* single files watched too (certificates) */
  size_t nfiles;
  sgw_fent_t *snap;       /* last scan, sorted by path */
  size_t nsnap;
  int pending;            /* a change is waiting for quiet */
  int unreadable;         /* the last scan could not read everything */
  uint64_t first_change;  /* loop time of the first unreported change */
  sgw_buf_t changed;
  sgw_watch_cb cb;
  void *data;
};

/* Starts polling every `interval_ms`. Takes copies of the paths. */
int sgw_watch_start(sgw_watch_t *w, uv_loop_t *loop, const char *config_path,
                    char *const *roots, size_t nroots, unsigned interval_ms,
                    sgw_watch_cb cb);
/* Replaces the folders watched (the config may have changed them). */
int sgw_watch_set_roots(sgw_watch_t *w, char *const *roots, size_t nroots);
/* Single files to watch besides the scripts (copied; replaces the last
 * set). */
int sgw_watch_set_files(sgw_watch_t *w, char *const *files, size_t nfiles);
void sgw_watch_stop(sgw_watch_t *w);

#endif
