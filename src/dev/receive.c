/* Uploads to the dev bucket: PUT Object and the POST Object form.
 *
 * Nothing is stored before the signature (or the form's policy) has been
 * checked: a PUT is checked from its head, before any body byte; a form
 * when its file part begins, with the fields before it, as COS does. The
 * file's bytes then stream into a temporary file (upload.c) and become
 * the object only once all of them arrived within the size bounds. */
#include <stdio.h>
#include <string.h>

#include "dev/bucket_int.h"
#include "signgw/error.h"
#include "signgw/url.h"

/* ---- answers of a complete upload ------------------------------------ */

/* "http://host/<key>", the key cam-safe encoded but for its '/'. */
static int location(sgw_dev_req_t *dr, sgw_buf_t *out) {
  const char *key = dr->path.base + 1, *end = key + dr->path.len - 1;
  int rc = sgw_buf_appends(out, "http://");

  if (rc == 0)
    rc = sgw_buf_appends(out, dr->b->host);
  while (rc == 0 && key <= end) {
    const char *slash = memchr(key, '/', (size_t)(end - key));
    const char *seg_end = slash ? slash : end;
    if ((rc = sgw_buf_appendc(out, '/')) == 0)
      rc = sgw_url_encode(out, key, (size_t)(seg_end - key));
    key = seg_end + 1;
  }
  return rc;
}

static void answer_stored(sgw_dev_req_t *dr) {
  const char *etag = sgw_upload_md5(dr->up);
  sgw_buf_t h, loc, body;
  int status = dr->kind == SGW_DEV_PUT ? 200 : dr->success_status, rc;

  sgw_buf_init(&h);
  sgw_buf_init(&loc);
  sgw_buf_init(&body);
  rc = location(dr, &loc);
  if (rc == 0)
    rc = sgw_buf_appends(&h, "ETag: \"");
  if (rc == 0)
    rc = sgw_buf_appends(&h, etag);
  if (rc == 0)
    rc = sgw_buf_appends(&h, "\"\r\n");
  if (rc == 0 && dr->kind == SGW_DEV_POST) {
    rc = sgw_buf_appends(&h, "Location: ");
    if (rc == 0)
      rc = sgw_buf_append(&h, loc.base, loc.len);
    if (rc == 0)
      rc = sgw_buf_appends(&h, "\r\n");
  }
  /* success_action_status=201: the PostResponse document. */
  if (rc == 0 && status == 201) {
    rc = sgw_buf_appends(&body, "<?xml version='1.0' encoding='utf-8' ?>\n"
                                "<PostResponse>\n\t<Location>");
    if (rc == 0)
      rc = sgw_buf_append(&body, loc.base, loc.len);
    if (rc == 0)
      rc = sgw_buf_appends(&body, "</Location>\n\t<Bucket>");
    if (rc == 0)
      rc = sgw_buf_appends(&body, dr->b->bucket);
    if (rc == 0)
      rc = sgw_buf_appends(&body, "</Bucket>\n\t<Key>");
    /* The key: only characters the store allows, but XML needs < & too. */
    for (size_t i = 1; rc == 0 && i < dr->path.len; i++) {
      char c = dr->path.base[i];
      rc = c == '<'   ? sgw_buf_appends(&body, "&lt;")
           : c == '&' ? sgw_buf_appends(&body, "&amp;")
           : c == '>' ? sgw_buf_appends(&body, "&gt;")
                      : sgw_buf_appendc(&body, c);
    }
    if (rc == 0)
      rc = sgw_buf_appends(&body, "</Key>\n\t<ETag>\"");
    if (rc == 0)
      rc = sgw_buf_appends(&body, etag);
    if (rc == 0)
      rc = sgw_buf_appends(&body, "\"</ETag>\n</PostResponse>\n");
  }
  if (rc < 0)
    sgw__dev_error(dr, 500, "InternalError", "out of memory");
  else
    sgw__dev_answer(dr, status, h.base, body.len ? "application/xml" : NULL,
                    body.base ? body.base : "", body.len);
  sgw_buf_free(&h);
  sgw_buf_free(&loc);
  sgw_buf_free(&body);
}

/* The upload's file is on disk (or failed): check its size, store it. */
static void upload_done(sgw_dev_req_t *dr) {
  sgw_upload_t *u = dr->up;
  int rc;

  if (sgw_upload_error(u) != 0) {
    sgw__dev_error(dr, 500, "InternalError",
                   "The object could not be written (is the disk full?).");
    return;
  }
  if (dr->kind == SGW_DEV_POST &&
      (rc = sgw_cos_verify_post_length(&dr->range,
                                       (int64_t)sgw_upload_length(u))) != 0) {
    sgw__dev_deny(dr, rc);
    return;
  }
  rc = sgw_upload_commit(u, dr->path.base + 1, dr->path.len - 1);
  if (rc == SGW_EINVAL)
    sgw__dev_error(dr, 400, "InvalidObjectName",
                   "The dev bucket keeps keys as paths: this key names a "
                   "folder of other keys, or one of its folders is an "
                   "object.");
  else if (rc < 0)
    sgw__dev_error(dr, 500, "InternalError", "The object could not be "
                   "stored.");
  else
    answer_stored(dr);
}

static void on_upload(sgw_upload_t *u, int event, void *arg) {
  sgw_dev_req_t *dr = arg;

  (void)u;
  if (event == SGW_UPLOAD_DONE) {
    upload_done(dr);
    return;
  }
  /* The disk caught up: the body may come again. */
  if (dr->paused && dr->req != NULL) {
    dr->paused = 0;
    sgw_http_req_resume(dr->req);
  }
}

static int start_upload(sgw_dev_req_t *dr) {
  if (sgw_upload_new(&dr->up, &dr->b->loop, &dr->b->store, on_upload, dr) ==
      0)
    return 0;
  sgw__dev_error(dr, 500, "InternalError",
                 "The dev bucket cannot create a temporary file.");
  return -1;
}

/* The body is over: what the server said about it, then the disk. */
static void body_end(sgw_dev_req_t *dr) {
  int err = sgw_http_req_error(dr->req);

  if (err != 0) {
    sgw__dev_refused(dr, err);
    return;
  }
  dr->body_over = 1;
  sgw_upload_finish(dr->up); /* upload_done answers, now or later */
}

/* ---- PUT Object -------------------------------------------------------- */

void sgw__dev_put(sgw_dev_req_t *dr) {
  int rc;

  dr->kind = SGW_DEV_PUT;
  if (sgw__dev_take_path(dr) < 0)
    return;
  if ((rc = sgw__dev_verify_request(dr)) != 0) {
    sgw__dev_deny(dr, rc);
    return;
  }
  if (sgw__dev_check_key(dr, dr->path.base + 1, dr->path.len - 1) < 0)
    return;
  start_upload(dr); /* the body follows through sgw__dev_body */
}

static int put_body(sgw_dev_req_t *dr, const char *at, size_t len) {
  int rc;

  if (at == NULL) {
    body_end(dr);
    return SGW_HTTP_GO;
  }
  if ((rc = sgw_upload_write(dr->up, at, len)) < 0) {
    sgw__dev_error(dr, 500, "InternalError",
                   "The object could not be written.");
    return SGW_HTTP_GO;
  }
  if (rc == 1) {
    dr->paused = 1;
    return SGW_HTTP_PAUSE;
  }
  return SGW_HTTP_GO;
}

/* ---- POST Object ------------------------------------------------------- */

/* Records why the form is refused; answered once the parser returns. */
static int form_fail(sgw_dev_req_t *dr, int status, const char *code,
                     const char *msg) {
  dr->fail_status = status;
  dr->fail_code = code;
  dr->fail_msg = msg;
  return 1;
}

static int equal_ci(const char *a, size_t n, const char *z) {
  if (strlen(z) != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
    if (c != z[i])
      return 0;
  }
  return 1;
}

/* The value of field `name` (any case), or NULL. */
static const sgw_kv_t *field(const sgw_kv_t *kv, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (equal_ci(kv[i].name, kv[i].name_len, name))
      return &kv[i];
  return NULL;
}

/* The file part begins: every field before it is known, so the form is
 * checked now, before a byte of the file is stored. */
static int file_begin(sgw_dev_req_t *dr) {
  sgw_kv_t kv[SGW_DEV_MAX_FIELDS];
  const sgw_kv_t *key, *st;
  size_t off;
  int rc;

  dr->file_seen = 1;
  for (size_t i = 0; i < dr->nfields; i++) {
    off = dr->foff[i][0];
    kv[i].name = dr->ftext.base + off;
    kv[i].name_len = dr->foff[i][1];
    kv[i].value = dr->ftext.base + off + dr->foff[i][1];
    kv[i].value_len = dr->foff[i][2];
  }
  if ((rc = sgw__dev_verify_form(dr, kv, dr->nfields, &dr->range)) != 0) {
    dr->fail_reason = rc;
    return 1;
  }
  key = field(kv, dr->nfields, "key"); /* there: the check requires it */
  rc = sgw_store_key_check(key->value, key->value_len);
  if (rc == SGW_ERANGE)
    return form_fail(dr, 400, "KeyTooLongError", "Your key is too long.");
  if (rc < 0)
    return form_fail(dr, 400, "InvalidObjectName",
                     "The object key is empty, has a control character, or "
                     "an empty, \".\" or \"..\" segment.");
  sgw_buf_reset(&dr->path);
  if (sgw_buf_appendc(&dr->path, '/') < 0 ||
      sgw_buf_append(&dr->path, key->value, key->value_len) < 0)
    return form_fail(dr, 500, "InternalError", "out of memory");
  st = field(kv, dr->nfields, "success_action_status");
  dr->success_status = 204; /* COS's default */
  if (st != NULL && st->value_len == 3 && !memcmp(st->value, "200", 3))
    dr->success_status = 200;
  if (st != NULL && st->value_len == 3 && !memcmp(st->value, "201", 3))
    dr->success_status = 201;
  dr->file_max = dr->b->max_size;
  if (dr->range.max >= 0 && (uint64_t)dr->range.max < dr->file_max)
    dr->file_max = (uint64_t)dr->range.max;
  if (sgw_upload_new(&dr->up, &dr->b->loop, &dr->b->store, on_upload, dr) <
      0)
    return form_fail(dr, 500, "InternalError",
                     "The dev bucket cannot create a temporary file.");
  dr->in_field = 2;
  return 0;
}

static int form_part(void *ud, const sgw_form_part_t *p) {
  sgw_dev_req_t *dr = ud;
  size_t n = dr->nfields;

  dr->in_field = 0;
  if (dr->file_seen) /* COS ignores what follows the file */
    return 0;
  if (equal_ci(p->name, p->name_len, "file"))
    return file_begin(dr);
  if (n == SGW_DEV_MAX_FIELDS ||
      dr->ftext.len + p->name_len > SGW_DEV_MAX_FIELD_BYTES)
    return form_fail(dr, 400, "MalformedPOSTRequest",
                     "The form has more fields, or longer ones, than the "
                     "dev bucket takes before its file.");
  dr->foff[n][0] = dr->ftext.len;
  dr->foff[n][1] = p->name_len;
  dr->foff[n][2] = 0;
  if (sgw_buf_append(&dr->ftext, p->name, p->name_len) < 0)
    return form_fail(dr, 500, "InternalError", "out of memory");
  dr->nfields++;
  dr->in_field = 1;
  return 0;
}

static int form_data(void *ud, const char *at, size_t len) {
  sgw_dev_req_t *dr = ud;
  int rc;

  if (dr->in_field == 1) {
    if (dr->ftext.len + len > SGW_DEV_MAX_FIELD_BYTES)
      return form_fail(dr, 400, "MalformedPOSTRequest",
                       "The form's fields are longer than the dev bucket "
                       "takes.");
    if (sgw_buf_append(&dr->ftext, at, len) < 0)
      return form_fail(dr, 500, "InternalError", "out of memory");
    dr->foff[dr->nfields - 1][2] += len;
    return 0;
  }
  if (dr->in_field != 2)
    return 0;
  /* Past the policy's content-length-range (or the bucket's maximum):
   * refused before the rest is written. */
  if (sgw_upload_length(dr->up) + len > dr->file_max) {
    dr->fail_reason = SGW_COS_DENY_TOO_LARGE;
    return 1;
  }
  if ((rc = sgw_upload_write(dr->up, at, len)) < 0)
    return form_fail(dr, 500, "InternalError",
                     "The object could not be written.");
  if (rc == 1)
    dr->want_pause = 1;
  return 0;
}

static int form_part_end(void *ud) {
  sgw_dev_req_t *dr = ud;

  if (dr->in_field == 2)
    dr->file_done = 1;
  dr->in_field = 0;
  return 0;
}

static const sgw_form_cb_t form_cbs = {form_part, form_data, form_part_end};

void sgw__dev_post(sgw_dev_req_t *dr) {
  size_t plen, ctlen;
  const char *path = sgw_http_req_path(dr->req, &plen);
  const char *ct = sgw_http_req_header(dr->req, "content-type", 12, &ctlen);

  dr->kind = SGW_DEV_POST;
  if (plen != 1 || path[0] != '/') {
    sgw__dev_error(dr, 405, "MethodNotAllowed",
                   "A POST Object form goes to the bucket's root, /.");
    return;
  }
  if (sgw_form_init(&dr->form, ct, ct ? ctlen : 0, &form_cbs, dr) < 0)
    sgw__dev_error(dr, 400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed "
                   "multipart/form-data.");
}

static int post_body(sgw_dev_req_t *dr, const char *at, size_t len) {
  int rc;

  if (at == NULL) {
    if (sgw_http_req_error(dr->req) == 0 &&
        (!sgw_form_done(&dr->form) || !dr->file_done)) {
      if (!dr->file_seen)
        sgw__dev_error(dr, 400, "InvalidArgument",
                       "POST requires exactly one file upload per request "
                       "(a part named \"file\").");
      else
        sgw__dev_error(dr, 400, "MalformedPOSTRequest",
                       "The body of your POST request ended before its "
                       "closing boundary.");
      return SGW_HTTP_GO;
    }
    body_end(dr);
    return SGW_HTTP_GO;
  }
  dr->want_pause = 0;
  rc = sgw_form_feed(&dr->form, at, len);
  if (rc == 0 && dr->want_pause) {
    dr->paused = 1;
    return SGW_HTTP_PAUSE;
  }
  if (rc == 0)
    return SGW_HTTP_GO;
  /* Refused: answered now, the rest of the body is dropped unread. */
  if (dr->fail_reason != 0)
    sgw__dev_deny(dr, dr->fail_reason);
  else if (rc == 1)
    sgw__dev_error(dr, dr->fail_status, dr->fail_code, dr->fail_msg);
  else if (rc == SGW_ENOMEM)
    sgw__dev_error(dr, 500, "InternalError", "out of memory");
  else
    sgw__dev_error(dr, 400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed "
                   "multipart/form-data.");
  return SGW_HTTP_GO;
}

int sgw__dev_body(sgw_dev_req_t *dr, const char *at, size_t len) {
  if (dr->req == NULL)
    return SGW_HTTP_GO;
  if (dr->kind == SGW_DEV_PUT)
    return put_body(dr, at, len);
  return post_body(dr, at, len);
}
