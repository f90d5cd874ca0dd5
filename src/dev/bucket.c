/* The dev bucket: its thread and server, the requests it takes, and the
 * answers it gives (see bucket.h). Uploads are in receive.c, downloads in
 * send.c. */
#include "dev/bucket_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "server/listen.h"
#include "signgw/error.h"
#include "signgw/url.h"

/* ---- credentials ------------------------------------------------------ */

static void wipe_free(char *s) {
  if (s != NULL) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

int sgw_devbucket_set_cred(sgw_devbucket_t *b, const char *secret_id,
                           const char *secret_key, const char *token) {
  char *id = strdup(secret_id), *key = strdup(secret_key);
  char *tok = token != NULL ? strdup(token) : NULL;

  if (id == NULL || key == NULL || (token != NULL && tok == NULL)) {
    free(id);
    wipe_free(key);
    free(tok);
    return SGW_ENOMEM;
  }
  uv_mutex_lock(&b->cred_lock);
  free(b->secret_id);
  wipe_free(b->secret_key);
  free(b->token);
  b->secret_id = id;
  b->secret_key = key;
  b->token = tok;
  uv_mutex_unlock(&b->cred_lock);
  return 0;
}

/* The verify calls' lookup; they run with cred_lock held. */
static int lookup(void *arg, const char *id, size_t id_len,
                  sgw_cos_secret_t *out) {
  sgw_devbucket_t *b = arg;

  if (b->secret_id == NULL || strlen(b->secret_id) != id_len ||
      memcmp(b->secret_id, id, id_len) != 0)
    return -1;
  out->secret_key = b->secret_key;
  out->security_token = b->token;
  return 0;
}

int sgw__dev_verify_request(sgw_dev_req_t *dr) {
  sgw_http_req_t *req = dr->req;
  unsigned n = sgw_http_req_nheaders(req);
  sgw_kv_t *kv = calloc(n ? n : 1, sizeof(*kv));
  sgw_cos_request_t r = {0};
  int rc;

  if (kv == NULL)
    return SGW_ENOMEM;
  for (unsigned i = 0; i < n; i++)
    sgw_http_req_header_at(req, i, &kv[i].name, &kv[i].name_len,
                           &kv[i].value, &kv[i].value_len);
  r.method = sgw_http_req_method(req);
  r.path = dr->path.base;
  r.path_len = dr->path.len;
  r.query = sgw_http_req_query(req, &r.query_len);
  r.headers = kv;
  r.nheaders = n;
  r.now = (int64_t)time(NULL);
  r.lookup = lookup;
  r.lookup_arg = dr->b;
  uv_mutex_lock(&dr->b->cred_lock);
  rc = sgw_cos_verify_request(dr->b->signer, &r);
  uv_mutex_unlock(&dr->b->cred_lock);
  free(kv);
  return rc;
}

int sgw__dev_verify_form(sgw_dev_req_t *dr, const sgw_kv_t *fields,
                         size_t n, sgw_cos_length_range_t *range) {
  sgw_cos_form_t f = {0};
  int rc;

  f.bucket = dr->b->bucket;
  f.fields = fields;
  f.nfields = n;
  f.now = (int64_t)time(NULL);
  f.lookup = lookup;
  f.lookup_arg = dr->b;
  uv_mutex_lock(&dr->b->cred_lock);
  rc = sgw_cos_verify_post(dr->b->signer, &f, range);
  uv_mutex_unlock(&dr->b->cred_lock);
  return rc;
}

/* ---- answers ---------------------------------------------------------- */

static int visible_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
      return 0;
  return n > 0;
}

/* Every origin may read the answers, as with the CORS rule
 * AllowedOrigin "*" that browser uploads to COS need; the origin is
 * echoed (no credentials are involved either way). */
int sgw__dev_common_headers(sgw_http_req_t *req, sgw_buf_t *out) {
  size_t olen;
  const char *origin = sgw_http_req_header(req, "origin", 6, &olen);
  int rc = sgw_buf_appends(out, "x-cos-request-id: ");

  if (rc == 0)
    rc = sgw_buf_appends(out, sgw_http_req_id(req));
  if (rc == 0)
    rc = sgw_buf_appends(out, "\r\nServer: signgw-dev-bucket\r\n");
  if (rc == 0 && origin != NULL && visible_ascii(origin, olen)) {
    rc = sgw_buf_appends(out, "Access-Control-Allow-Origin: ");
    if (rc == 0)
      rc = sgw_buf_append(out, origin, olen);
    if (rc == 0)
      rc = sgw_buf_appends(out, "\r\nAccess-Control-Expose-Headers: ETag, "
                                "Content-Length, Location, x-cos-request-id"
                                "\r\nVary: Origin\r\n");
  }
  return rc;
}

static int xml_text(sgw_buf_t *out, const char *s, size_t n) {
  int rc = 0;

  for (size_t i = 0; i < n && rc == 0; i++) {
    switch (s[i]) {
    case '<': rc = sgw_buf_appends(out, "&lt;"); break;
    case '>': rc = sgw_buf_appends(out, "&gt;"); break;
    case '&': rc = sgw_buf_appends(out, "&amp;"); break;
    case '"': rc = sgw_buf_appends(out, "&quot;"); break;
    case '\'': rc = sgw_buf_appends(out, "&apos;"); break;
    default:
      /* XML 1.0 has no way to write most control characters. */
      rc = (unsigned char)s[i] < 0x20 && s[i] != '\t'
               ? sgw_buf_appendc(out, '?')
               : sgw_buf_appendc(out, s[i]);
    }
  }
  return rc;
}

void sgw__dev_answer(sgw_dev_req_t *dr, int status, const char *headers,
                     const char *content_type, const char *body,
                     size_t body_len) {
  sgw_http_req_t *req = dr->req;
  sgw_buf_t h;

  if (req == NULL) {
    sgw__dev_done(dr);
    return;
  }
  sgw_buf_init(&h);
  if (sgw__dev_common_headers(req, &h) < 0 ||
      (headers != NULL && sgw_buf_appends(&h, headers) < 0)) {
    sgw_buf_free(&h);
    dr->req = NULL;
    sgw_http_respond_error(req, 500, "internal", "out of memory", NULL);
    sgw__dev_done(dr);
    return;
  }
  dr->req = NULL;
  sgw_http_req_set_data(req, NULL);
  sgw_http_respond(req, status, content_type, h.base, h.len, body, body_len);
  sgw_buf_free(&h);
  sgw__dev_done(dr);
}

void sgw__dev_error(sgw_dev_req_t *dr, int status, const char *code,
                    const char *message) {
  sgw_buf_t x;
  int rc;

  if (dr->req == NULL) {
    sgw__dev_done(dr);
    return;
  }
  if (status >= 500)
    sgw_log_warn("dev bucket: %s %.*s: %s", sgw_http_req_method(dr->req),
                 (int)dr->path.len, dr->path.base ? dr->path.base : "",
                 message);
  sgw_buf_init(&x);
  rc = sgw_buf_appends(&x, "<?xml version='1.0' encoding='utf-8' ?>\n"
                           "<Error>\n\t<Code>");
  if (rc == 0)
    rc = xml_text(&x, code, strlen(code));
  if (rc == 0)
    rc = sgw_buf_appends(&x, "</Code>\n\t<Message>");
  if (rc == 0)
    rc = xml_text(&x, message, strlen(message));
  if (rc == 0)
    rc = sgw_buf_appends(&x, "</Message>\n\t<Resource>");
  if (rc == 0)
    rc = xml_text(&x, dr->b->host, strlen(dr->b->host));
  if (rc == 0 && dr->path.len > 0)
    rc = xml_text(&x, dr->path.base, dr->path.len);
  if (rc == 0)
    rc = sgw_buf_appends(&x, "</Resource>\n\t<RequestId>");
  if (rc == 0)
    rc = sgw_buf_appends(&x, sgw_http_req_id(dr->req));
  if (rc == 0)
    rc = sgw_buf_appends(&x, "</RequestId>\n</Error>\n");
  if (rc < 0) {
    sgw_buf_free(&x);
    sgw__dev_answer(dr, 500, NULL, NULL, "", 0);
    return;
  }
  sgw__dev_answer(dr, status, NULL, "application/xml", x.base, x.len);
  sgw_buf_free(&x);
}

void sgw__dev_deny(sgw_dev_req_t *dr, int reason) {
  if (reason < 0) {
    sgw__dev_error(dr, 500, "InternalError",
                   reason == SGW_ENOMEM ? "out of memory"
                                        : "the signature could not be checked");
    return;
  }
  /* Refusals of the request itself are 403; a bad size or form is 400. */
  sgw__dev_error(dr,
                 reason == SGW_COS_DENY_TOO_SMALL ||
                         reason == SGW_COS_DENY_TOO_LARGE ||
                         reason == SGW_COS_DENY_FORM
                     ? 400
                     : 403,
                 sgw_cos_deny_code(reason), sgw_cos_deny_message(reason));
}

/* ---- requests --------------------------------------------------------- */

static sgw_dev_req_t *dev_req_new(sgw_devbucket_t *b, sgw_http_req_t *req) {
  sgw_dev_req_t *dr = calloc(1, sizeof(*dr));

  if (dr == NULL)
    return NULL;
  dr->b = b;
  dr->req = req;
  dr->fd = -1;
  sgw_buf_init(&dr->path);
  sgw_buf_init(&dr->ftext);
  sgw_http_req_set_data(req, dr);
  return dr;
}

void sgw__dev_done(sgw_dev_req_t *dr) {
  if (dr->req != NULL)
    return; /* still to be answered */
  sgw_upload_discard(dr->up);
  dr->up = NULL;
  if (dr->reading)
    return; /* send.c frees it when the read ends */
  if (dr->fd >= 0)
    close(dr->fd);
  dr->fd = -1;
  sgw_form_free(&dr->form); /* also one never initialised (zeroed) */
  sgw_buf_free(&dr->path);
  sgw_buf_free(&dr->ftext);
  free(dr->rbuf);
  free(dr);
}

int sgw__dev_take_path(sgw_dev_req_t *dr) {
  size_t n;
  const char *raw = sgw_http_req_path(dr->req, &n);

  sgw_buf_reset(&dr->path);
  if (sgw_url_decode(&dr->path, raw, n, 0) < 0 || dr->path.len == 0 ||
      dr->path.base[0] != '/') {
    sgw_buf_reset(&dr->path);
    sgw__dev_error(dr, 400, "InvalidURI", "Couldn't parse the specified URI.");
    return -1;
  }
  return 0;
}

int sgw__dev_check_key(sgw_dev_req_t *dr, const char *key, size_t len) {
  int rc = sgw_store_key_check(key, len);

  if (rc == SGW_ERANGE)
    sgw__dev_error(dr, 400, "KeyTooLongError",
                   "Your key is too long: at most 850 bytes, and 255 "
                   "between two '/'.");
  else if (rc < 0)
    sgw__dev_error(dr, 400, "InvalidObjectName",
                   "The object key is empty, has a control character "
                   "(such as NUL), or an empty, \".\" or \"..\" segment "
                   "between '/'.");
  return rc < 0 ? -1 : 0;
}

/* Why the server refused the request, as COS would say it. */
void sgw__dev_refused(sgw_dev_req_t *dr, int status) {
  switch (status) {
  case 413:
    sgw__dev_error(dr, 400, "EntityTooLarge",
                   "Your proposed upload exceeds the maximum allowed size.");
    break;
  case 408:
    sgw__dev_error(dr, 400, "RequestTimeout",
                   "Your socket connection to the server was not read from "
                   "or written to within the timeout period.");
    break;
  case 414:
    sgw__dev_error(dr, 400, "KeyTooLongError", "Your key is too long.");
    break;
  case 431:
    sgw__dev_error(dr, 400, "RequestHeaderSectionTooLarge",
                   "Your request header section exceeds the maximum "
                   "allowed size.");
    break;
  default:
    sgw__dev_error(dr, status >= 500 ? 500 : 400,
                   status >= 500 ? "InternalError" : "InvalidRequest",
                   "The request is not valid HTTP.");
  }
}

/* A list of header names, as a preflight asks for them. */
static int header_list(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == ',' || s[i] == ' ' || sgw_http_token(s + i, 1)))
      return 0;
  return 1;
}

/* OPTIONS: every origin, the methods uploads and downloads use, and
 * whatever headers it asks for. */
static void dev_preflight(sgw_dev_req_t *dr) {
  sgw_http_req_t *req = dr->req;
  size_t olen, mlen, hlen;
  const char *origin = sgw_http_req_header(req, "origin", 6, &olen);
  const char *m = sgw_http_req_header(req, "access-control-request-method",
                                      29, &mlen);
  const char *hdrs = sgw_http_req_header(
      req, "access-control-request-headers", 30, &hlen);
  sgw_buf_t h;
  int ok = origin != NULL && visible_ascii(origin, olen) && m != NULL &&
           ((mlen == 3 && (!memcmp(m, "GET", 3) || !memcmp(m, "PUT", 3))) ||
            (mlen == 4 && (!memcmp(m, "HEAD", 4) || !memcmp(m, "POST", 4))));

  if (!ok || (hdrs != NULL && !header_list(hdrs, hlen))) {
    sgw__dev_error(dr, 403, "AccessForbidden",
                   "CORSResponse: This CORS request is not allowed.");
    return;
  }
  sgw_buf_init(&h);
  if (sgw_buf_appends(&h, "Access-Control-Allow-Methods: GET, HEAD, PUT, "
                          "POST\r\nAccess-Control-Max-Age: 600\r\n") < 0 ||
      (hdrs != NULL && hlen > 0 &&
       (sgw_buf_appends(&h, "Access-Control-Allow-Headers: ") < 0 ||
        sgw_buf_append(&h, hdrs, hlen) < 0 ||
        sgw_buf_appends(&h, "\r\n") < 0))) {
    sgw_buf_free(&h);
    sgw__dev_error(dr, 500, "InternalError", "out of memory");
    return;
  }
  sgw__dev_answer(dr, 200, h.base, NULL, "", 0);
  sgw_buf_free(&h);
}

/* ---- the server's callbacks ------------------------------------------ */

static int on_head(sgw_http_req_t *req, void *ud) {
  sgw_devbucket_t *b = ud;
  const char *m = sgw_http_req_method(req);

  /* Uploads stream to disk; their bound is the bucket's, not the
   * gateway's limits.max_body. A form carries a little more than its
   * file: the file's own bound is checked as it arrives. */
  if (strcmp(m, "PUT") == 0) {
    sgw_http_req_set_max_body(req, b->max_size);
    return SGW_HTTP_BODY_STREAM;
  }
  if (strcmp(m, "POST") == 0) {
    sgw_http_req_set_max_body(req, b->max_size + SGW_DEV_FORM_OVERHEAD);
    return SGW_HTTP_BODY_STREAM;
  }
  return SGW_HTTP_BODY_DROP;
}

static void on_request(sgw_http_req_t *req, void *ud) {
  sgw_devbucket_t *b = ud;
  const char *m = sgw_http_req_method(req);
  sgw_dev_req_t *dr = dev_req_new(b, req);
  int err = sgw_http_req_error(req);

  if (dr == NULL) {
    sgw_http_respond_error(req, 500, "internal", "out of memory", NULL);
    return;
  }
  if (err != 0)
    sgw__dev_refused(dr, err);
  else if (strcmp(m, "OPTIONS") == 0)
    dev_preflight(dr);
  else if (strcmp(m, "PUT") == 0)
    sgw__dev_put(dr);
  else if (strcmp(m, "POST") == 0)
    sgw__dev_post(dr);
  else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
    sgw__dev_get(dr);
  else
    sgw__dev_error(dr, 405, "MethodNotAllowed",
                   "The specified method is not allowed against this "
                   "resource.");
}

static int on_body(sgw_http_req_t *req, const char *at, size_t len,
                   void *ud) {
  sgw_dev_req_t *dr = sgw_http_req_data(req);

  (void)ud;
  return dr != NULL ? sgw__dev_body(dr, at, len) : SGW_HTTP_GO;
}

static void on_drain(sgw_http_req_t *req, void *ud) {
  sgw_dev_req_t *dr = sgw_http_req_data(req);

  (void)ud;
  if (dr != NULL)
    sgw__dev_drain(dr);
}

static void on_abort(sgw_http_req_t *req, void *ud) {
  sgw_dev_req_t *dr = sgw_http_req_data(req);

  (void)ud;
  if (dr == NULL)
    return;
  dr->req = NULL;
  sgw__dev_done(dr);
}

/* ---- the thread ------------------------------------------------------- */

static void on_walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void on_stop(uv_async_t *a) {
  sgw_devbucket_t *b = a->data;

  /* Connections go (their requests are aborted: temporary files are
   * removed), then the server's own handles; reads and writes still in
   * flight on the thread pool end before the loop does. */
  sgw_server_halt(&b->server);
  sgw_server_close(&b->server);
  uv_walk(&b->loop, on_walk_close, NULL);
}

static void run(void *arg) {
  sgw_devbucket_t *b = arg;

  sgw_log_set_worker(-1);
  uv_run(&b->loop, UV_RUN_DEFAULT);
}

static void dev_free(sgw_devbucket_t *b) {
  sgw_server_fini(&b->server);
  sgw_store_close(&b->store);
  sgw_signer_free(b->signer);
  free(b->secret_id);
  wipe_free(b->secret_key);
  free(b->token);
  uv_mutex_destroy(&b->cred_lock);
  free(b);
}

int sgw_devbucket_start(const sgw_devbucket_opts_t *o, sgw_devbucket_t **out,
                        char *err, size_t errlen) {
  sgw_devbucket_t *b = calloc(1, sizeof(*b));
  sgw_http_handler_t h = {.on_head = on_head, .on_request = on_request,
                          .on_abort = on_abort, .on_body = on_body,
                          .on_drain = on_drain};
  int rc, fd, bound = 0, loop_open = 0, server_open = 0;

  *out = NULL;
  if (b == NULL) {
    snprintf(err, errlen, "dev bucket: out of memory");
    return SGW_ENOMEM;
  }
  uv_mutex_init(&b->cred_lock);
  b->limits = *o->limits;
  b->max_size = o->max_size;
  h.ud = b;
  snprintf(b->bucket, sizeof(b->bucket), "%s", o->bucket);
  if ((rc = sgw_signer_new(&b->signer)) < 0) {
    snprintf(err, errlen, "dev bucket: out of memory");
    goto fail;
  }
  if ((rc = sgw_store_open(&b->store, o->data_dir, err, errlen)) < 0)
    goto fail;
  if ((rc = uv_loop_init(&b->loop)) < 0) {
    snprintf(err, errlen, "dev bucket: %s", uv_strerror(rc));
    rc = SGW_ENOMEM;
    goto fail;
  }
  loop_open = 1;
  if ((rc = sgw_server_init(&b->server, &b->loop, &b->limits, &h)) < 0) {
    snprintf(err, errlen, "dev bucket: %s", uv_strerror(rc));
    rc = SGW_ENOMEM;
    goto fail;
  }
  server_open = 1;
  if ((fd = sgw_listen_open(o->host, o->port, &bound, 0)) < 0) {
    snprintf(err, errlen, "dev bucket: cannot listen on %s:%d: %s", o->host,
             o->port, uv_strerror(fd));
    rc = SGW_EIO;
    goto fail;
  }
  b->port = bound;
  if (strchr(o->host, ':') != NULL) /* IPv6 */
    snprintf(b->host, sizeof(b->host), "[%s]:%d", o->host, bound);
  else
    snprintf(b->host, sizeof(b->host), "%s:%d", o->host, bound);
  if ((rc = sgw_server_listen(&b->server, fd, NULL)) < 0) {
    snprintf(err, errlen, "dev bucket: %s", uv_strerror(rc));
    rc = SGW_EIO;
    goto fail;
  }
  uv_async_init(&b->loop, &b->stop, on_stop);
  b->stop.data = b;
  if ((rc = uv_thread_create(&b->thread, run, b)) < 0) {
    snprintf(err, errlen, "dev bucket: cannot start its thread");
    rc = SGW_EIO;
    goto fail;
  }
  *out = b;
  return 0;

fail:
  if (loop_open) {
    if (server_open)
      sgw_server_close(&b->server);
    uv_walk(&b->loop, on_walk_close, NULL);
    uv_run(&b->loop, UV_RUN_DEFAULT);
    uv_loop_close(&b->loop);
  }
  dev_free(b);
  return rc < 0 ? rc : SGW_EIO;
}

int sgw_devbucket_port(const sgw_devbucket_t *b) { return b->port; }
const char *sgw_devbucket_dir(const sgw_devbucket_t *b) {
  return b->store.root;
}

void sgw_devbucket_stop(sgw_devbucket_t *b) {
  if (b == NULL)
    return;
  uv_async_send(&b->stop);
  uv_thread_join(&b->thread);
  uv_loop_close(&b->loop);
  dev_free(b);
}
