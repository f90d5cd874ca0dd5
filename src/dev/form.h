/* multipart/form-data (RFC 7578) read as it arrives, in pieces of any
 * size: each part's header block is collected (bounded) and handed over,
 * its body is passed through as it comes and never held. What a POST
 * Object form upload needs; the parser knows nothing of COS.
 *
 * Pure code: no I/O. The delimiter ("\r\n--" + boundary) cannot contain a
 * CR after its first byte (RFC 2046 boundary characters), so a failed
 * partial match never hides the start of another one: one counter of
 * matched bytes is enough, and at most that many bytes (fewer than the
 * delimiter) are held back between pieces.
 *
 * Ownership: the caller owns the struct and frees it with sgw_form_free().
 * The part description handed to `part` (its strings) lives until that
 * callback returns; body bytes live until `data` returns. */
#ifndef SGW_DEV_FORM_H
#define SGW_DEV_FORM_H

#include <stddef.h>

#include "signgw/buf.h"

#define SGW_FORM_MAX_BOUNDARY 70 /* RFC 2046 */
#define SGW_FORM_MAX_HEAD 8192   /* one part's header block */

typedef struct sgw_form_part_s {
  const char *name;      /* the Content-Disposition name (required) */
  size_t name_len;
  const char *filename;  /* NULL when the part names no file */
  size_t filename_len;
  const char *type;      /* its Content-Type, or NULL */
  size_t type_len;
} sgw_form_part_t;

/* A non-zero return stops the parser; sgw_form_feed() returns it as it is
 * (use positive values: the negative ones are the parser's). */
typedef struct sgw_form_cb_s {
  int (*part)(void *ud, const sgw_form_part_t *p); /* a part begins */
  int (*data)(void *ud, const char *at, size_t len); /* bytes of its body */
  int (*part_end)(void *ud);                       /* its body ended */
} sgw_form_cb_t;

typedef struct sgw_form_s {
  const sgw_form_cb_t *cb;
  void *ud;
  int state;
  char delim[4 + SGW_FORM_MAX_BOUNDARY]; /* "\r\n--" boundary */
  size_t dlen;
  size_t matched;  /* delimiter bytes matched so far */
  size_t held;     /* of those, how many came in earlier pieces */
  sgw_buf_t head;  /* the header block being read */
  sgw_buf_t text;  /* decoded name and filename of the current part */
} sgw_form_t;

/* Reads the boundary from a Content-Type value ("multipart/form-data;
 * boundary=..."; the type and parameter names in any case, the boundary
 * quoted or not). SGW_EINVAL for another type or no valid boundary (the
 * struct is then still safe to free). */
int sgw_form_init(sgw_form_t *f, const char *content_type, size_t len,
                  const sgw_form_cb_t *cb, void *ud);
/* Feeds the next bytes of the body. Returns 0; SGW_EINVAL for a body
 * that is not well-formed multipart (a part without a name, bad bytes
 * after a delimiter); SGW_ERANGE for a header block above
 * SGW_FORM_MAX_HEAD; SGW_ENOMEM; or a callback's non-zero value. After
 * any non-zero return nothing more may be fed. Bytes after the closing
 * delimiter are ignored. */
int sgw_form_feed(sgw_form_t *f, const char *p, size_t len);
/* Whether the closing delimiter has been read: a body that ends before
 * it was cut short. */
int sgw_form_done(const sgw_form_t *f);
void sgw_form_free(sgw_form_t *f);

#endif
