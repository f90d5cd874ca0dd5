/* Downloads from the dev bucket: GET and HEAD Object, signed in the
 * Authorization header or by a presigned URL's query. The file is read
 * on libuv's thread pool a piece at a time and each piece is sent before
 * the next is read, so no object is ever whole in memory and a client
 * that reads slowly holds one piece. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dev/bucket_int.h"
#include "signgw/error.h"

#define SGW__READ_PIECE (64 * 1024)

/* A Content-Type from the key's extension. Types a browser would run
 * (HTML, SVG, scripts) are sent as plain bytes. */
static const char *content_type(const char *key, size_t len) {
  static const char *const types[][2] = {
      {"jpg", "image/jpeg"},    {"jpeg", "image/jpeg"},
      {"png", "image/png"},     {"gif", "image/gif"},
      {"webp", "image/webp"},   {"bmp", "image/bmp"},
      {"heic", "image/heic"},   {"mp4", "video/mp4"},
      {"mov", "video/quicktime"}, {"txt", "text/plain; charset=utf-8"},
      {"pdf", "application/pdf"}, {NULL, NULL}};
  const char *dot = NULL;

  for (size_t i = len; i-- > 0 && key[i] != '/';)
    if (key[i] == '.') {
      dot = key + i + 1;
      break;
    }
  if (dot != NULL)
    for (int i = 0; types[i][0] != NULL; i++)
      if ((size_t)(key + len - dot) == strlen(types[i][0]) &&
          strncasecmp(dot, types[i][0], strlen(types[i][0])) == 0)
        return types[i][1];
  return "application/octet-stream";
}

static void read_next(sgw_dev_req_t *dr);

static void on_read(uv_fs_t *r) {
  sgw_dev_req_t *dr = r->data;
  sgw_http_req_t *req = dr->req;
  ssize_t n = r->result;
  int rc;

  uv_fs_req_cleanup(r);
  dr->reading = 0;
  if (req == NULL) { /* the client went away meanwhile */
    sgw__dev_done(dr);
    return;
  }
  if (n <= 0) {
    /* Shorter than it was (changed under us), or unreadable: the answer
     * is cut short, which the client sees. */
    dr->req = NULL;
    sgw_http_abort(req);
    sgw__dev_done(dr);
    return;
  }
  if ((uint64_t)n > dr->left)
    n = (ssize_t)dr->left;
  dr->left -= (uint64_t)n;
  rc = sgw_http_send(req, dr->rbuf, (size_t)n);
  if (rc < 0 || dr->left == 0) { /* gone, or complete: req is dead */
    dr->req = NULL;
    sgw__dev_done(dr);
    return;
  }
  if (rc == 0)
    read_next(dr);
  /* else: sgw__dev_drain reads on when the client has taken it */
}

static void read_next(sgw_dev_req_t *dr) {
  size_t n = dr->left < SGW__READ_PIECE ? (size_t)dr->left : SGW__READ_PIECE;
  uv_buf_t b = uv_buf_init(dr->rbuf, (unsigned)n);
  sgw_http_req_t *req = dr->req;

  dr->rreq.data = dr;
  if (uv_fs_read(&dr->b->loop, &dr->rreq, dr->fd, &b, 1, -1, on_read) < 0) {
    dr->req = NULL;
    sgw_http_abort(req);
    sgw__dev_done(dr);
    return;
  }
  dr->reading = 1;
}

void sgw__dev_drain(sgw_dev_req_t *dr) {
  if (dr->kind == SGW_DEV_GET && !dr->reading && dr->req != NULL &&
      dr->left > 0)
    read_next(dr);
}

void sgw__dev_get(sgw_dev_req_t *dr) {
  const char *key;
  size_t klen;
  uint64_t size;
  int64_t mtime;
  time_t t;
  struct tm tm;
  char date[64];
  sgw_buf_t h;
  sgw_http_req_t *req;
  int rc;

  dr->kind = SGW_DEV_GET;
  if (sgw__dev_take_path(dr) < 0)
    return;
  if ((rc = sgw__dev_verify_request(dr)) != 0) {
    sgw__dev_deny(dr, rc);
    return;
  }
  if (dr->path.len == 1) {
    sgw__dev_error(dr, 501, "NotImplemented",
                   "The dev bucket does not list its objects.");
    return;
  }
  key = dr->path.base + 1;
  klen = dr->path.len - 1;
  if (sgw__dev_check_key(dr, key, klen) < 0)
    return;
  rc = sgw_store_read(&dr->b->store, key, klen, &dr->fd, &size, &mtime);
  if (rc == SGW_ENOENT) {
    sgw__dev_error(dr, 404, "NoSuchKey", "The specified key does not exist.");
    return;
  }
  if (rc < 0 || (size > 0 && (dr->rbuf = malloc(SGW__READ_PIECE)) == NULL)) {
    sgw__dev_error(dr, 500, "InternalError", "The object cannot be read.");
    return;
  }
  t = (time_t)mtime;
  gmtime_r(&t, &tm);
  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  sgw_buf_init(&h);
  req = dr->req;
  if (sgw__dev_common_headers(req, &h) < 0 ||
      sgw_buf_appends(&h, "Last-Modified: ") < 0 ||
      sgw_buf_appends(&h, date) < 0 ||
      sgw_buf_appends(&h, "\r\nX-Content-Type-Options: nosniff\r\n") < 0) {
    sgw_buf_free(&h);
    sgw__dev_error(dr, 500, "InternalError", "out of memory");
    return;
  }
  rc = sgw_http_respond_start(req, 200, content_type(key, klen), h.base,
                              h.len, size);
  sgw_buf_free(&h);
  if (rc <= 0) { /* complete (HEAD, empty), or the client is gone */
    dr->req = NULL;
    sgw__dev_done(dr);
    return;
  }
  dr->left = size;
  read_next(dr);
}
