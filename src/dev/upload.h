/* One object being received: its bytes go to a temporary file of the
 * store as they arrive, written on libuv's thread pool while the next
 * ones come in, with their count and MD5 (COS's ETag of a simple upload).
 *
 * At most SGW_UPLOAD_HIGH bytes wait in memory (plus one piece): past
 * that sgw_upload_write() says "wait", and the callback says when the
 * disk has caught up, which is when the caller resumes reading the body.
 *
 * Ownership: sgw_upload_new() allocates; the caller gives it up with
 * sgw_upload_discard() (the temporary file is removed) or, after a
 * successful finish, sgw_upload_commit() then sgw_upload_discard(). A
 * write still in flight keeps the struct alive until it ends; no callback
 * runs after discard. */
#ifndef SGW_DEV_UPLOAD_H
#define SGW_DEV_UPLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dev/store.h"
#include "signgw/buf.h"
#include "signgw/crypto.h"

#define SGW_UPLOAD_HIGH (256 * 1024)

typedef struct sgw_upload_s sgw_upload_t;

enum {
  SGW_UPLOAD_READY, /* the disk caught up after a "wait": send more */
  SGW_UPLOAD_DONE   /* finished: every byte written, or sgw_upload_error() */
};
typedef void (*sgw_upload_cb)(sgw_upload_t *u, int event, void *arg);

/* Opens a temporary file in the store. Returns 0 or a negative code. */
int sgw_upload_new(sgw_upload_t **out, uv_loop_t *loop,
                   const sgw_store_t *store, sgw_upload_cb cb, void *arg);
/* Takes the next bytes (copied). Returns 0 to go on, 1 to wait for
 * SGW_UPLOAD_READY, or the negative code of a failed write. */
int sgw_upload_write(sgw_upload_t *u, const char *p, size_t len);
/* No more bytes: SGW_UPLOAD_DONE follows once all are on disk. */
void sgw_upload_finish(sgw_upload_t *u);
/* 0, or the negative code of the first failure. */
int sgw_upload_error(const sgw_upload_t *u);
uint64_t sgw_upload_length(const sgw_upload_t *u);
/* The MD5 of everything written, as 32 hex digits (after DONE). */
const char *sgw_upload_md5(const sgw_upload_t *u);
/* After a successful DONE: the file becomes object `key` (see
 * sgw_store_commit for the results). */
int sgw_upload_commit(sgw_upload_t *u, const char *key, size_t len);
void sgw_upload_discard(sgw_upload_t *u);

#endif
