/* The dev bucket's data directory: where objects live on disk.
 *
 *   <dir>/objects/<key>   one file per object, folders as in the key
 *   <dir>/tmp/            uploads being received (removed at start-up)
 *
 * An object appears only by rename() of a complete temporary file, so a
 * half-received upload never leaves an object behind, and a reader never
 * sees a half-written one.
 *
 * Keys stay inside <dir>/objects whatever their bytes: a key is refused
 * unless it is 1 to 850 bytes (COS's limit), has no byte below 0x20 and
 * no DEL, and splits at '/' into segments of 1 to 255 bytes none of which
 * is "." or "..". The folders on the way are created by us and checked
 * again (realpath) before anything is stored or read, so not even a
 * symlink planted in the data directory leads out of it.
 *
 * Blocking system calls (mkdir, rename, open): the dev bucket runs on a
 * thread of its own, and these are quick on a local disk. */
#ifndef SGW_DEV_STORE_H
#define SGW_DEV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "signgw/buf.h"

#define SGW_STORE_MAX_KEY 850
#define SGW_STORE_MAX_SEGMENT 255

typedef struct sgw_store_s {
  char *root;    /* the data directory, absolute */
  char *objects; /* root/objects */
  char *tmp;     /* root/tmp */
} sgw_store_t;

/* Creates the directory (and its parents) if needed and removes what a
 * crash left in tmp/. Returns 0, or a negative SGW_E* code with a message
 * naming the directory in `err`. */
int sgw_store_open(sgw_store_t *s, const char *dir, char *err, size_t errlen);
void sgw_store_close(sgw_store_t *s);

/* Whether `key` may name an object: 0, SGW_EINVAL (a byte or segment it
 * may not have) or SGW_ERANGE (too long). Pure: no I/O. */
int sgw_store_key_check(const char *key, size_t len);

/* A new temporary file for an upload: its open descriptor (write only)
 * in *fd and its path in `path` (reset first). */
int sgw_store_temp(const sgw_store_t *s, sgw_buf_t *path, int *fd);

/* Moves the complete temporary file `tmp` into place as `key` (checked),
 * replacing an object of that name. Returns 0; SGW_EINVAL when the key
 * cannot be stored here (a folder of other keys has its name, or one of
 * its folders is an object; the dev bucket keeps keys as paths);
 * SGW_EIO. The temporary file is left to the caller either way. */
int sgw_store_commit(const sgw_store_t *s, const char *tmp, const char *key,
                     size_t len);

/* Opens object `key` (checked) for reading: *fd, its size and
 * modification time (unix seconds). SGW_ENOENT when there is no such
 * object (also when the name is one of the folders), SGW_EIO. */
int sgw_store_read(const sgw_store_t *s, const char *key, size_t len, int *fd,
                   uint64_t *size, int64_t *mtime);

#endif
