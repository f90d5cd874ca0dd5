/* What the dev bucket's files share: the bucket, one request's state, and
 * the helpers that answer (bucket.c), receive (receive.c) and send
 * (send.c). Everything here runs on the bucket's own thread. */
#ifndef SGW_DEV_BUCKET_INT_H
#define SGW_DEV_BUCKET_INT_H

#include <stdint.h>
#include <uv.h>

#include "dev/bucket.h"
#include "dev/form.h"
#include "dev/store.h"
#include "dev/upload.h"
#include "server/server.h"
#include "signgw/buf.h"
#include "signgw/cos_verify.h"
#include "signgw/signer.h"

#define SGW_DEV_MAX_FIELDS 64          /* POST form fields before the file */
#define SGW_DEV_MAX_FIELD_BYTES 65536  /* their names and values together */
#define SGW_DEV_FORM_OVERHEAD (1 << 20) /* a form's bytes besides the file */

struct sgw_devbucket_s {
  uv_loop_t loop;
  sgw_server_t server;
  uv_async_t stop;
  uv_thread_t thread;
  sgw_limits_t limits;
  sgw_store_t store;
  sgw_signer_t *signer;  /* this thread's signing state */
  char bucket[72];
  char host[80];         /* "127.0.0.1:3001": for Location and errors */
  int port;
  uint64_t max_size;
  uv_mutex_t cred_lock;  /* guards the three below */
  char *secret_id;
  char *secret_key;
  char *token;
};

enum { SGW_DEV_PUT = 1, SGW_DEV_POST, SGW_DEV_GET };

/* One request in progress. req is NULL once it is answered or aborted;
 * the struct goes when nothing of it is in flight any more. */
typedef struct sgw_dev_req_s {
  sgw_devbucket_t *b;
  sgw_http_req_t *req;
  int kind;
  sgw_buf_t path;          /* "/" + the object key, decoded */
  sgw_upload_t *up;        /* PUT, POST: the object being received */
  unsigned paused : 1;     /* the body waits for the disk */
  unsigned body_over : 1;  /* the whole body arrived */
  /* POST: the form */
  sgw_form_t form;
  sgw_buf_t ftext;         /* field names and values, back to back */
  /* per field: offset of its name, the name's length, the value's */
  size_t foff[SGW_DEV_MAX_FIELDS][3];
  size_t nfields;
  int in_field;            /* 1 in a field part, 2 in the file part, 0 else */
  unsigned file_seen : 1;
  unsigned file_done : 1;
  unsigned want_pause : 1;
  /* a form callback's refusal, answered once the parser returns */
  int fail_status, fail_reason;
  const char *fail_code, *fail_msg;
  sgw_cos_length_range_t range;
  uint64_t file_max;
  int success_status;
  /* GET: the object being sent */
  int fd;
  uint64_t left;
  uv_fs_t rreq;
  char *rbuf;
  unsigned reading : 1;    /* a read is in flight */
} sgw_dev_req_t;

/* bucket.c ---------------------------------------------------------- */

/* Answers with a COS XML error and ends dr's request (dr may be freed). */
void sgw__dev_error(sgw_dev_req_t *dr, int status, const char *code,
                    const char *message);
/* Answers the server's refusal of the request (413, 408, ...). */
void sgw__dev_refused(sgw_dev_req_t *dr, int status);
/* Decodes the request path into dr->path; on failure answers 400 and
 * returns -1 (dr is gone). */
int sgw__dev_take_path(sgw_dev_req_t *dr);
/* Whether `key` may name an object here; else answers 400 and returns -1
 * (dr is gone). */
int sgw__dev_check_key(sgw_dev_req_t *dr, const char *key, size_t len);
/* Answers a refused check (a SGW_COS_DENY_* reason, or a negative code
 * for a check that could not run). */
void sgw__dev_deny(sgw_dev_req_t *dr, int reason);
/* Answers with `status`, the given extra header lines and body. */
void sgw__dev_answer(sgw_dev_req_t *dr, int status, const char *headers,
                     const char *content_type, const char *body,
                     size_t body_len);
/* The CORS and request-id header lines every answer carries, into out. */
int sgw__dev_common_headers(sgw_http_req_t *req, sgw_buf_t *out);
/* The request is answered or gone: drops what it held and frees dr once
 * nothing is in flight. */
void sgw__dev_done(sgw_dev_req_t *dr);
/* Checks the request's signature (header or presigned query) for the
 * decoded path in dr->path: 0 or a reason for sgw__dev_deny. */
int sgw__dev_verify_request(sgw_dev_req_t *dr);
/* Checks a POST form's fields: 0 or a reason; *range on success. */
int sgw__dev_verify_form(sgw_dev_req_t *dr, const sgw_kv_t *fields,
                         size_t n, sgw_cos_length_range_t *range);

/* receive.c --------------------------------------------------------- */

void sgw__dev_put(sgw_dev_req_t *dr);
void sgw__dev_post(sgw_dev_req_t *dr);
/* A piece of a PUT or POST body (or its end: at NULL, len 0). */
int sgw__dev_body(sgw_dev_req_t *dr, const char *at, size_t len);

/* send.c ------------------------------------------------------------ */

void sgw__dev_get(sgw_dev_req_t *dr);
void sgw__dev_drain(sgw_dev_req_t *dr);

#endif
