/* An object being received into a temporary file (see upload.h). */
#include "dev/upload.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signgw/error.h"

struct sgw_upload_s {
  uv_loop_t *loop;
  const sgw_store_t *store;
  sgw_upload_cb cb;
  void *arg;
  int fd;
  sgw_buf_t path;        /* of the temporary file */
  sgw_buf_t fill;        /* bytes taken, not yet handed to a write */
  sgw_buf_t out;         /* the bytes of the write in flight */
  uv_fs_t req;
  uint64_t length;
  sgw_md5_t md5;
  char md5_hex[2 * SGW_MD5_LEN + 1];
  int error;
  unsigned writing : 1;  /* a write is in flight */
  unsigned waiting : 1;  /* the caller was told to wait */
  unsigned finishing : 1;
  unsigned done : 1;
  unsigned committed : 1;
  unsigned discarded : 1;
  unsigned in_cb;        /* callbacks running (they nest): discard frees
                            after the outermost */
};

static void upload_free(sgw_upload_t *u) {
  if (u->fd >= 0)
    close(u->fd);
  if (!u->committed && u->path.len > 0)
    unlink(u->path.base);
  sgw_md5_free(&u->md5);
  sgw_buf_free(&u->path);
  sgw_buf_free(&u->fill);
  sgw_buf_free(&u->out);
  free(u);
}

int sgw_upload_new(sgw_upload_t **out, uv_loop_t *loop,
                   const sgw_store_t *store, sgw_upload_cb cb, void *arg) {
  sgw_upload_t *u = calloc(1, sizeof(*u));
  int rc;

  *out = NULL;
  if (u == NULL)
    return SGW_ENOMEM;
  u->loop = loop;
  u->store = store;
  u->cb = cb;
  u->arg = arg;
  u->fd = -1;
  sgw_buf_init(&u->path);
  sgw_buf_init(&u->fill);
  sgw_buf_init(&u->out);
  if ((rc = sgw_md5_init(&u->md5)) < 0 ||
      (rc = sgw_store_temp(store, &u->path, &u->fd)) < 0) {
    upload_free(u);
    return rc;
  }
  *out = u;
  return 0;
}

static void upload_kick(sgw_upload_t *u);

/* Runs the callback, which may discard u (or write more from inside it).
 * Returns 1 when u is gone or going. */
static int upload_call(sgw_upload_t *u, int event) {
  u->in_cb++;
  u->cb(u, event, u->arg);
  u->in_cb--;
  if (!u->discarded)
    return 0;
  if (!u->writing && u->in_cb == 0)
    upload_free(u);
  return 1;
}

/* Everything is on disk (or a write failed): the file is complete. */
static void upload_done(sgw_upload_t *u) {
  unsigned char d[SGW_MD5_LEN];

  u->done = 1;
  if (u->error == 0) {
    if (sgw_md5_final(&u->md5, d) < 0)
      u->error = SGW_ECRYPTO;
    else
      sgw_hex_encode(d, sizeof(d), u->md5_hex);
  }
  if (close(u->fd) < 0 && u->error == 0)
    u->error = SGW_EIO;
  u->fd = -1;
  upload_call(u, SGW_UPLOAD_DONE);
}

static void on_written(uv_fs_t *req) {
  sgw_upload_t *u = req->data;
  ssize_t n = req->result;

  uv_fs_req_cleanup(req);
  u->writing = 0;
  if (u->discarded) {
    upload_free(u);
    return;
  }
  if (n < 0 || (size_t)n != u->out.len) {
    /* uv_fs_write writes it all or fails; a short count is a full disk. */
    if (u->error == 0)
      u->error = SGW_EIO;
  }
  sgw_buf_reset(&u->out);
  upload_kick(u);
}

/* Starts the next write, or tells the caller what it waits for. */
static void upload_kick(sgw_upload_t *u) {
  sgw_buf_t t;
  uv_buf_t b;

  if (u->writing || u->done)
    return;
  if (u->fill.len > 0 && u->error == 0) {
    /* Swap: the filled buffer is written, the empty one fills. */
    t = u->out;
    u->out = u->fill;
    u->fill = t;
    b = uv_buf_init(u->out.base, (unsigned)u->out.len);
    u->req.data = u;
    if (uv_fs_write(u->loop, &u->req, u->fd, &b, 1, -1, on_written) < 0) {
      u->error = SGW_EIO;
      sgw_buf_reset(&u->out);
    } else {
      u->writing = 1;
    }
  }
  if (u->waiting && (u->fill.len < SGW_UPLOAD_HIGH || u->error != 0)) {
    u->waiting = 0;
    if (upload_call(u, SGW_UPLOAD_READY) || u->done)
      return;
  }
  if (u->finishing && !u->writing && (u->fill.len == 0 || u->error != 0))
    upload_done(u);
}

int sgw_upload_write(sgw_upload_t *u, const char *p, size_t len) {
  if (u->error != 0)
    return u->error;
  if (sgw_buf_append(&u->fill, p, len) < 0 ||
      sgw_md5_update(&u->md5, p, len) < 0)
    return u->error = SGW_ENOMEM;
  u->length += len;
  upload_kick(u);
  if (u->error != 0)
    return u->error;
  if (u->fill.len >= SGW_UPLOAD_HIGH) {
    u->waiting = 1;
    return 1;
  }
  return 0;
}

void sgw_upload_finish(sgw_upload_t *u) {
  u->finishing = 1;
  u->waiting = 0;
  upload_kick(u);
}

int sgw_upload_error(const sgw_upload_t *u) { return u->error; }
uint64_t sgw_upload_length(const sgw_upload_t *u) { return u->length; }
const char *sgw_upload_md5(const sgw_upload_t *u) { return u->md5_hex; }

int sgw_upload_commit(sgw_upload_t *u, const char *key, size_t len) {
  int rc;

  if (!u->done || u->error != 0)
    return SGW_EINVAL;
  if ((rc = sgw_store_commit(u->store, u->path.base, key, len)) == 0)
    u->committed = 1;
  return rc;
}

void sgw_upload_discard(sgw_upload_t *u) {
  if (u == NULL)
    return;
  u->discarded = 1;
  if (!u->writing && u->in_cb == 0)
    upload_free(u);
}
